package ui

import (
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/storage"
)

// Window button labels. The Xvfb tests and users' muscle memory depend on them.
const (
	ButtonLink       = "Link Plex account"
	ButtonCopyCode   = "Copy code"
	ButtonOpenLink   = "Open plex.tv/link"
	ButtonCopyLink   = "Copy link"
	ButtonCancel     = "Cancel"
	ButtonNewCode    = "Get a new code"
	ButtonRelink     = "Relink"
	ButtonUnlink     = "Unlink"
	ButtonCopyToken  = "Copy token"
	ButtonRetrySave  = "Try saving again"
	ButtonTryAgain   = "Try again"
	ButtonBack       = "Back"
	CheckAutostart   = "Start at login"
	TextExpired      = "This code expired"
	TextLinkedAsHead = "Linked as " // + username
)

// view builds the window content for the current state.
func (c *Controller) view() fyne.CanvasObject {
	s := &c.st
	var body []fyne.CanvasObject
	switch s.phase {
	case phaseStarting:
		body = []fyne.CanvasObject{heading("Plex Link"), c.spinnerLine("Reading the keychain…")}
	case phaseNotLinked:
		body = []fyne.CanvasObject{
			heading("Link your Plex account"),
			para("Plex Link keeps a plex.tv token in this computer's keychain so your tools can use your Plex account. " +
				"You get a 4-character code to enter at plex.tv/link; no password is typed here."),
			buttons(primary(ButtonLink, c.startLink)),
		}
		body = c.withAutostart(body)
	case phaseLinking:
		body = c.linkingView()
	case phaseExpired:
		body = []fyne.CanvasObject{
			heading(TextExpired),
			para("Codes last 15 minutes. Get a new code and enter it at plex.tv/link."),
			buttons(primary(ButtonNewCode, c.startLink), c.cancelOrBack()),
		}
	case phaseLinked:
		body = c.linkedView()
	case phaseFailed:
		body = c.failedView()
	}
	if s.busy != "" {
		body = append(body, c.spinnerLine(s.busy))
	}
	if s.notice != "" {
		body = append(body, para(s.notice))
	}
	// Only vertical scrolling: the content must fit 360 px wide, and a 240 px high window
	// scrolls rather than clipping buttons.
	return container.NewVScroll(container.NewPadded(container.NewVBox(body...)))
}

func (c *Controller) linkingView() []fyne.CanvasObject {
	s := &c.st
	ev := s.ev
	head := "Link your Plex account"
	if s.linked {
		head = "Relink your Plex account"
	}
	if ev.Code == "" {
		return []fyne.CanvasObject{heading(head), c.spinnerLine("Getting a code from plex.tv…"), buttons(secondary(ButtonCancel, c.cancelLink))}
	}
	code := &widget.Label{Text: ev.Code, Selectable: true, Alignment: fyne.TextAlignCenter,
		TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText}
	countdown := widget.NewLabel(countdownText(ev.ExpiresAt, time.Now()))
	countdown.Alignment = fyne.TextAlignCenter
	c.countdown = countdown
	body := []fyne.CanvasObject{
		heading(head),
		para("Enter this code at plex.tv/link (signed in to Plex):"),
		container.NewThemeOverride(code, bigCodeTheme{}),
		countdown,
		buttons(primary(ButtonCopyCode, func() { c.copyText("Code", ev.Code) }), secondary(ButtonOpenLink, c.openLinkPage)),
		c.spinnerLine(engineWords(ev, s.renewed)),
	}
	if s.browserErr != nil {
		url := widget.NewEntry()
		url.SetText(ev.LinkURL)
		url.Disable() // read-only but still selectable
		body = append(body,
			warning("Could not open your browser ("+plainError(s.browserErr)+"). Open this address yourself:"),
			url,
			buttons(secondary(ButtonCopyLink, func() { c.copyText("Link", ev.LinkURL) })))
	}
	return append(body, buttons(secondary(ButtonCancel, c.cancelLink)))
}

// engineWords says in words what the engine is doing.
func engineWords(ev auth.Event, renewed string) string {
	switch ev.State {
	case auth.StateRetrying:
		return "plex.tv is not answering; retrying in " + ev.RetryIn.Round(time.Second).String() + " because " + plainError(ev.Err)
	case auth.StateRenewed:
		return "The previous code expired; a new code was issued. Waiting for you…"
	case auth.StateValidating:
		return "Code accepted. Checking the account with plex.tv…"
	case auth.StateLinked:
		return "Linked. Saving the token in the keychain…"
	case auth.StateFailed:
		return "Linking failed: " + plainError(ev.Err)
	}
	if renewed != "" && renewed == ev.Code {
		return "New code issued. Waiting for you to enter it at plex.tv/link…"
	}
	return "Waiting for you to enter the code at plex.tv/link…"
}

func (c *Controller) linkedView() []fyne.CanvasObject {
	s := &c.st
	var avatar *canvas.Image
	if s.avatar != nil {
		avatar = canvas.NewImageFromResource(s.avatar)
	} else {
		avatar = canvas.NewImageFromResource(theme.AccountIcon())
	}
	avatar.FillMode = canvas.ImageFillContain
	avatar.SetMinSize(fyne.NewSize(56, 56))
	who := []fyne.CanvasObject{widget.NewLabelWithStyle(TextLinkedAsHead+s.username(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	if s.account != nil && s.account.Email != "" {
		who = append(who, widget.NewLabel(s.account.Email))
	}
	body := []fyne.CanvasObject{container.NewBorder(nil, nil, avatar, nil, container.NewVBox(who...))}
	relink := secondary(ButtonRelink, c.startLink)
	if s.relinkNeeded {
		body = append(body, warning("plex.tv no longer accepts the saved token (it was signed out or the password changed). Relink to get a new one."))
		relink.Importance = widget.HighImportance
	} else {
		body = append(body, para("The token is in this computer's keychain. Scripts can print it with: plexlink token"))
	}
	unlink := secondary(ButtonUnlink, c.askUnlink)
	return c.withAutostart(append(body, buttons(secondary(ButtonCopyToken, c.copyToken), relink, unlink)))
}

// withAutostart adds the "Start at login" check where the app is at rest.
func (c *Controller) withAutostart(body []fyne.CanvasObject) []fyne.CanvasObject {
	if c.opts.Autostart == nil {
		return body
	}
	check := widget.NewCheck(CheckAutostart, nil)
	check.SetChecked(c.st.autostart)
	check.OnChanged = c.setAutostart
	return append(body, check)
}

func (c *Controller) failedView() []fyne.CanvasObject {
	s := &c.st
	title, msg := describe(s.err)
	var acts []fyne.CanvasObject
	switch s.fail {
	case failStatus:
		acts = append(acts, primary(ButtonTryAgain, c.refresh))
	case failSave:
		title = "Linked, but not saved"
		msg = "plex.tv accepted the link, but the token could not be saved: " + msg
		acts = append(acts, primary(ButtonRetrySave, c.retrySave), secondary(ButtonCancel, c.back))
	case failLink:
		label := ButtonLink
		if s.linked {
			label = ButtonRelink
		}
		acts = append(acts, primary(label, c.startLink), c.cancelOrBack())
	case failUnlink:
		acts = append(acts, primary(ButtonTryAgain, c.askUnlink), secondary(ButtonBack, c.back))
	}
	return []fyne.CanvasObject{heading(title), para(msg), buttons(acts...)}
}

// cancelOrBack leaves a fallback screen; without a stored token there is nothing to go back to.
func (c *Controller) cancelOrBack() fyne.CanvasObject {
	if c.st.linked {
		return secondary(ButtonBack, c.back)
	}
	return layoutSpacer()
}

// describe turns an error into a title and a sentence with the next step. Error strings of
// this project never contain the token.
func describe(err error) (title, msg string) {
	switch {
	case err == nil:
		return "Something went wrong", "Try again."
	case errors.Is(err, storage.ErrKeychainUnavailable):
		return "Keychain unavailable", "The system keychain did not answer (" + plainError(err) + "). " +
			"Unlock your keyring, or install and start a Secret Service provider such as gnome-keyring or KWallet, then try again."
	case errors.Is(err, auth.ErrUnauthorized):
		return "Token rejected", "plex.tv rejected the token. Relink your Plex account to get a new one."
	case errors.Is(err, auth.ErrRateLimited):
		return "plex.tv is busy", "plex.tv asked us to slow down. Wait a minute, then try again."
	case auth.IsTransient(err):
		return "plex.tv unreachable", "plex.tv could not be reached (" + plainError(err) + "). Check your internet connection, then try again."
	}
	return "Something went wrong", plainError(err) + ". Try again."
}

func plainError(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// bigCodeTheme makes the PIN code large enough to read across the room.
type bigCodeTheme struct{ fyne.Theme }

func (t bigCodeTheme) theme() fyne.Theme {
	if t.Theme != nil {
		return t.Theme
	}
	return fyne.CurrentApp().Settings().Theme()
}

func (t bigCodeTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.theme().Color(n, v)
}
func (t bigCodeTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.theme().Font(s) }
func (t bigCodeTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.theme().Icon(n) }
func (t bigCodeTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameHeadingText {
		return 2 * t.theme().Size(n)
	}
	return t.theme().Size(n)
}

func heading(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle.Bold = true
	l.Wrapping = fyne.TextWrapWord
	return l
}

func para(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func warning(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}

func (c *Controller) spinnerLine(text string) fyne.CanvasObject {
	a := widget.NewActivity()
	a.Start()
	c.spinners = append(c.spinners, a)
	return container.NewBorder(nil, nil, a, nil, para(text))
}

func primary(label string, f func()) *widget.Button {
	b := widget.NewButton(label, f)
	b.Importance = widget.HighImportance
	return b
}

func secondary(label string, f func()) *widget.Button { return widget.NewButton(label, f) }

// buttons lays buttons out in equal columns, wrapping to rows so 360 px is enough.
func buttons(bs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(170, 36), bs...)
}

func layoutSpacer() fyne.CanvasObject { return widget.NewLabel("") }

// typedKey: Enter does what the highlighted (primary) button of the screen does, so a
// keyboard user never needs the mouse; Escape cancels the engine or the dialog, or closes a
// window that belongs to a tray (the tray stays).
func (c *Controller) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if c.confirm != nil {
			c.confirm.Confirm()
			return
		}
		switch c.st.phase {
		case phaseNotLinked, phaseExpired:
			c.startLink()
		case phaseFailed:
			// The same action as the highlighted button of failedView.
			switch c.st.fail {
			case failLink:
				c.startLink()
			case failSave:
				c.retrySave()
			case failStatus:
				c.refresh()
			case failUnlink:
				c.askUnlink()
			}
		}
	case fyne.KeyEscape:
		switch {
		case c.confirm != nil:
			c.confirm.Hide()
		case c.st.phase == phaseLinking:
			c.cancelLink()
		case c.opts.Parent != nil:
			c.Quit()
		}
	}
}
