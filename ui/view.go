package ui

import (
	"errors"
	"fmt"
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

// view is the window's widgets, built once by newView and updated in place by update: a
// screen change shows one page and hides the others, so selections, focus and the dialog
// survive events that do not concern them.
type view struct {
	send  func(any) // an event from a widget (UI goroutine)
	root  fyne.CanvasObject
	pages map[Kind]*fyne.Container
	shown Screen // what update last rendered

	// Linking
	linkHead, code, countdown, engine, browserWarn *widget.Label
	fetching, codeBox, browserBox, engineLine      *fyne.Container
	url                                            *widget.Entry
	// Expired
	expiredBack *keyButton
	// Linked
	avatar                       *canvas.Image
	who, email, relinkWarn, hint *widget.Label
	relink                       *keyButton
	lists                        *sections
	// Failed
	failTitle, failMsg  *widget.Label
	failMain, failOther *keyButton
	// Every screen
	busyLine  *fyne.Container
	busy      *widget.Label
	notice    *widget.Label
	autostart *widget.Check
	confirm   *confirmDialog                       // unlink
	revoke    *confirmDialog                       // a tool's token
	spinners  map[*widget.Activity]*fyne.Container // each spinner runs only while its line shows
}

// newView builds every widget the window will ever show. a is the app whose theme sizes
// the code; send receives the widgets' events.
func newView(a fyne.App, win fyne.Window, send func(any)) *view {
	v := &view{send: send, pages: map[Kind]*fyne.Container{}, spinners: map[*widget.Activity]*fyne.Container{}}
	on := func(e any) func() { return func() { send(e) } }

	startingLine := v.spinnerLine(para("Reading the keychain…"))
	v.pages[Starting] = container.NewVBox(heading("Plex Link"), startingLine)

	v.pages[NotLinked] = container.NewVBox(
		heading("Link your Plex account"),
		para("Plex Link keeps a plex.tv token in this computer's keychain so your tools can use your Plex account. "+
			"You get a 4-character code to enter at plex.tv/link; no password is typed here."),
		buttons(primary(ButtonLink, on(evLink{}))),
	)

	v.linkHead = heading("Link your Plex account")
	v.fetching = container.NewVBox(v.spinnerLine(para("Getting a code from plex.tv…")))
	v.code = &widget.Label{Selectable: true, Alignment: fyne.TextAlignCenter,
		TextStyle: fyne.TextStyle{Monospace: true}, SizeName: theme.SizeNameHeadingText}
	v.countdown = widget.NewLabel("")
	v.countdown.Alignment = fyne.TextAlignCenter
	v.engine = para("")
	v.engineLine = v.spinnerLine(v.engine)
	v.browserWarn = warning("")
	v.url = widget.NewEntry()
	v.url.Disable() // read-only but still selectable
	v.browserBox = container.NewVBox(v.browserWarn, v.url, buttons(secondary(ButtonCopyLink, on(evCopyLink{}))))
	v.codeBox = container.NewVBox(
		para("Enter this code at plex.tv/link (signed in to Plex):"),
		container.NewThemeOverride(v.code, bigCodeTheme{a.Settings().Theme()}),
		v.countdown,
		buttons(primary(ButtonCopyCode, on(evCopyCode{})), secondary(ButtonOpenLink, on(evOpenLink{}))),
		v.engineLine,
		v.browserBox,
	)
	v.pages[Linking] = container.NewVBox(v.linkHead, v.fetching, v.codeBox, buttons(secondary(ButtonCancel, on(evCancel{}))))

	v.expiredBack = secondary(ButtonBack, on(evBack{}))
	v.pages[Expired] = container.NewVBox(
		heading(TextExpired),
		para("Codes last 15 minutes. Get a new code and enter it at plex.tv/link."),
		buttons(primary(ButtonNewCode, on(evLink{})), v.expiredBack),
	)

	v.avatar = canvas.NewImageFromResource(theme.AccountIcon())
	v.avatar.FillMode = canvas.ImageFillContain
	v.avatar.SetMinSize(fyne.NewSize(56, 56))
	v.who = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.email = widget.NewLabel("")
	v.relinkWarn = warning("plex.tv no longer accepts the saved token (it was signed out or the password changed). Relink to get a new one.")
	v.hint = para("The token is in this computer's keychain. Scripts can print it with: plexlink token")
	v.relink = secondary(ButtonRelink, on(evLink{}))
	v.lists = newSections(v)
	v.pages[Linked] = container.NewVBox(append([]fyne.CanvasObject{
		container.NewBorder(nil, nil, v.avatar, nil, container.NewVBox(v.who, v.email)),
		v.relinkWarn, v.hint,
		buttons(secondary(ButtonCopyToken, on(evCopyToken{})), v.relink, secondary(ButtonUnlink, on(evAskUnlink{}))),
	}, v.lists.objects()...)...)

	v.failTitle, v.failMsg = heading(""), para("")
	// The buttons do what the screen they are on says, decided when tapped.
	v.failMain = primary("", func() { send(primaryEvent(v.shown)) })
	v.failOther = secondary("", func() { send(otherEvent(v.shown)) })
	v.pages[Failed] = container.NewVBox(v.failTitle, v.failMsg, buttons(v.failMain, v.failOther))

	v.busy = para("")
	v.busyLine = v.spinnerLine(v.busy)
	v.notice = para("")
	// Shown when the tray says start at login can be set here (not in the demo).
	v.autostart = widget.NewCheck(CheckAutostart, nil)

	body := container.NewVBox()
	for k := Starting; k <= Failed; k++ {
		body.Add(v.pages[k])
	}
	body.Add(v.busyLine)
	body.Add(v.notice)
	body.Add(v.autostart)
	// Only vertical scrolling: the content must fit 360 px wide, and a 240 px high window
	// scrolls rather than clipping buttons.
	v.root = container.NewVScroll(container.NewPadded(body))

	v.confirm = newConfirmDialog("Unlink Plex account?",
		"The token is removed from this computer's keychain and signed out on plex.tv.\nTools that use it stop working.",
		ButtonUnlink, func(ok bool) { send(evConfirm{ok}) }, win)
	v.revoke = newConfirmDialog("Revoke the tool's token?", "", ButtonRevokeYes,
		func(ok bool) { send(evConfirmRevoke{ok}) }, win)
	return v
}

// update shows s. UI goroutine only.
func (v *view) update(s Screen) {
	v.shown = s
	for k, p := range v.pages {
		setVisible(p, k == s.Kind)
	}
	switch s.Kind {
	case Linking:
		v.updateLinking(s)
	case Expired:
		setVisible(v.expiredBack, s.Stored)
	case Linked:
		v.updateLinked(s)
	case Failed:
		v.updateFailed(s)
	}
	v.busy.SetText(busyText[s.Busy])
	setVisible(v.busyLine, s.Busy != NotBusy)
	v.notice.SetText(s.Notice)
	setVisible(v.notice, s.Notice != "")
	// SetChecked calls OnChanged: detach it, or showing the state would change it.
	v.autostart.OnChanged = nil
	v.autostart.SetChecked(s.Autostart)
	v.autostart.OnChanged = func(on bool) { v.send(evAutostart{on}) }
	setVisible(v.autostart, s.HasAutostart && (s.Kind == NotLinked || s.Kind == Linked))
	v.confirm.set(s.Confirming, "")
	v.revoke.set(s.RevokeAsk.set(), revokeQuestion(s.RevokeAsk))
	v.runSpinners()
}

func (v *view) updateLinking(s Screen) {
	head := "Link your Plex account"
	if s.Stored {
		head = "Relink your Plex account"
	}
	v.linkHead.SetText(head)
	setVisible(v.fetching, s.Ev.Code == "")
	setVisible(v.codeBox, s.Ev.Code != "")
	v.code.SetText(s.Ev.Code) // same text: Fyne keeps the user's selection
	v.tick(time.Now())
	v.engine.SetText(engineWords(s.Ev, s.Renewed))
	if s.BrowserErr != nil {
		v.browserWarn.SetText("Could not open your browser (" + plainError(s.BrowserErr) + "). Open this address yourself:")
		v.url.SetText(s.Ev.LinkURL)
	}
	setVisible(v.browserBox, s.BrowserErr != nil)
}

// tick updates the code's countdown (once a second while a code shows).
func (v *view) tick(now time.Time) {
	if v.shown.Kind == Linking {
		v.countdown.SetText(countdownText(v.shown.Ev.ExpiresAt, now))
	}
}

func (v *view) updateLinked(s Screen) {
	res := s.Avatar
	if res == nil {
		res = theme.AccountIcon()
	}
	if v.avatar.Resource != res {
		v.avatar.Resource = res
		v.avatar.Refresh()
	}
	v.who.SetText(TextLinkedAsHead + s.username())
	email := ""
	if s.Account != nil && s.Account.Email != s.username() {
		email = s.Account.Email
	}
	v.email.SetText(email)
	setVisible(v.email, email != "")
	setVisible(v.relinkWarn, s.RelinkNeeded)
	setVisible(v.hint, !s.RelinkNeeded)
	imp := widget.MediumImportance
	if s.RelinkNeeded {
		imp = widget.HighImportance
	}
	if v.relink.Importance != imp {
		v.relink.Importance = imp
		v.relink.Refresh()
	}
	v.lists.update(s)
}

// revokeQuestion is the revoke confirmation's text.
func revokeQuestion(r toolRef) string {
	return r.label() + "'s token is signed out on plex.tv\nand removed from this computer's keychain.\n" +
		"The tool stops working until it gets a new one:\nplexlink exec --tool " + r.Tool + " -- … makes one."
}

func (v *view) updateFailed(s Screen) {
	title, msg := describe(s.Err)
	main, other := "", ""
	switch s.Fail {
	case FailStatus:
		main = ButtonTryAgain
	case FailSave:
		title = "Linked, but not saved"
		msg = "plex.tv accepted the link, but the token could not be saved: " + msg
		main, other = ButtonRetrySave, ButtonCancel
	case FailLink:
		main = ButtonLink
		if s.Stored {
			main, other = ButtonRelink, ButtonBack
		}
	case FailUnlink:
		main, other = ButtonTryAgain, ButtonBack
	}
	v.failTitle.SetText(title)
	v.failMsg.SetText(msg)
	v.failMain.SetText(main)
	v.failOther.SetText(other)
	setVisible(v.failOther, other != "")
}

// primaryEvent is what the highlighted button of s does, and so what Enter does: the two
// are one function so they cannot drift apart. nil: the screen has no such button.
func primaryEvent(s Screen) any {
	switch {
	case s.RevokeAsk.set():
		return evConfirmRevoke{true}
	case s.Confirming:
		return evConfirm{true}
	case s.Busy != NotBusy:
		return nil
	}
	switch s.Kind {
	case NotLinked, Expired:
		return evLink{}
	case Linked:
		if s.RelinkNeeded {
			return evLink{}
		}
	case Failed:
		switch s.Fail {
		case FailStatus:
			return evRefresh{}
		case FailSave:
			return evRetrySave{}
		case FailLink:
			return evLink{}
		case FailUnlink:
			return evAskUnlink{}
		}
	}
	return nil
}

// otherEvent is what a Failed screen's second button does.
func otherEvent(s Screen) any {
	if s.Kind == Failed && s.Fail == FailSave {
		return evCancel{}
	}
	return evBack{}
}

// escapeEvent is what Escape does: close the dialog or stop the engine. nil: nothing to
// stop here (a window that belongs to a tray then closes).
func escapeEvent(s Screen) any {
	switch {
	case s.RevokeAsk.set():
		return evConfirmRevoke{false}
	case s.Confirming:
		return evConfirm{false}
	case s.Kind == Linking:
		return evCancel{}
	}
	return nil
}

func (v *view) spinnerLine(text fyne.CanvasObject) *fyne.Container {
	a := widget.NewActivity()
	line := container.NewBorder(nil, nil, a, nil, text)
	v.spinners[a] = line
	return line
}

// runSpinners animates only the spinners on screen: a hidden one would wake the CPU.
func (v *view) runSpinners() {
	for a, line := range v.spinners {
		if onScreen(line, v) {
			a.Start()
		} else {
			a.Stop()
		}
	}
}

// onScreen reports whether the line and the page it is on are visible.
func onScreen(line *fyne.Container, v *view) bool {
	if !line.Visible() {
		return false
	}
	if line == v.busyLine {
		return true
	}
	page := v.pages[v.shown.Kind]
	return containsVisible(page, line)
}

func containsVisible(o fyne.CanvasObject, target fyne.CanvasObject) bool {
	if o == target {
		return true
	}
	c, ok := o.(*fyne.Container)
	if !ok || !c.Visible() {
		return false
	}
	for _, child := range c.Objects {
		if containsVisible(child, target) {
			return true
		}
	}
	return false
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on && !o.Visible() {
		o.Show()
	} else if !on && o.Visible() {
		o.Hide()
	}
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

func countdownText(expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now).Round(time.Second)
	if left <= 0 {
		return "This code has expired; getting a new one…"
	}
	return fmt.Sprintf("Code expires in %d:%02d", int(left.Minutes()), int(left.Seconds())%60)
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
	case errors.As(err, new(*auth.RetryLaterError)):
		return "plex.tv is busy", plainError(err) + "."
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

func (t bigCodeTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, v)
}
func (t bigCodeTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.Theme.Font(s) }
func (t bigCodeTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.Theme.Icon(n) }
func (t bigCodeTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameHeadingText {
		return 2 * t.Theme.Size(n)
	}
	return t.Theme.Size(n)
}

func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle.Bold = true
	l.Wrapping = fyne.TextWrapWord
	return l
}

func para(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func warning(text string) *widget.Label {
	l := para(text)
	l.Importance = widget.WarningImportance
	return l
}

func primary(label string, f func()) *keyButton {
	b := newKeyButton(label, f)
	b.Importance = widget.HighImportance
	return b
}

func secondary(label string, f func()) *keyButton { return newKeyButton(label, f) }

// buttons lays buttons out in equal columns, wrapping to rows so 360 px is enough.
func buttons(bs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(170, 36), bs...)
}
