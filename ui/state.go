package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // avatar formats plex.tv serves
	_ "image/jpeg"
	_ "image/png"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

type phase int

const (
	phaseStarting  phase = iota // reading the keychain
	phaseNotLinked              // no token stored
	phaseLinking                // the engine runs (a first link or a relink)
	phaseExpired                // the engine gave up after its own renewals
	phaseLinked                 // a token is stored (maybe rejected: relinkNeeded)
	phaseFailed                 // something needs the user; failure says what
)

type failure int

const (
	failStatus failure = iota // the keychain could not be read at start
	failLink                  // the link run failed; nothing was stored
	failSave                  // plex.tv validated the token, the keychain refused it
	failUnlink                // the token could not be removed
)

type state struct {
	phase        phase
	linked       bool // a token is stored, as far as the app knows
	account      *storage.LinkedAccount
	relinkNeeded bool // plex.tv answered 401/422 for the stored token

	ev         auth.Event // the latest engine event of the current link run
	renewed    string     // a code the engine issued after the previous one expired
	browserErr error      // the browser could not be opened for this run

	fail    failure
	err     error
	saveErr *account.SaveError

	avatar    fyne.Resource // nil → placeholder
	avatarFor string        // the thumb URL avatar was fetched from
	notice    string        // one line of feedback ("Token copied to the clipboard.")
	busy      string        // a background action in progress ("Unlinking…")
	autostart bool          // "Start at login" is on
}

func (s *state) username() string {
	if s.account == nil {
		return "your Plex account"
	}
	if s.account.Username != "" {
		return s.account.Username
	}
	return s.account.Title
}

// render rebuilds the window and the tray from the state. UI goroutine only.
func (c *Controller) render() {
	if c.confirm != nil && !c.st.linked {
		c.confirm.Hide()
	}
	c.countdown = nil
	for _, a := range c.spinners {
		a.Stop() // a replaced spinner would otherwise animate until its renderer is collected
	}
	c.spinners = nil
	c.win.SetContent(c.view())
}

// refresh reads the link status from the keychain, then checks the token with plex.tv.
func (c *Controller) refresh() {
	c.st = state{phase: phaseStarting, avatar: c.st.avatar, avatarFor: c.st.avatarFor, autostart: c.st.autostart}
	c.render()
	go func() {
		st, err := c.backend.Status(c.ctx, false)
		c.post(func() { c.statusRead(st, err) })
	}()
}

func (c *Controller) statusRead(st account.Status, err error) {
	if c.st.phase != phaseStarting {
		return // the user moved on (e.g. started linking) before the keychain answered
	}
	switch {
	case err != nil:
		c.log.Warn("reading the stored token failed", "err", err)
		c.st.phase, c.st.fail, c.st.err = phaseFailed, failStatus, err
	case st.Linked:
		c.st.phase, c.st.linked, c.st.account = phaseLinked, true, st.Account
		c.fetchAvatar()
		go c.checkHealth(c.healthGen)
	default:
		c.st.phase = phaseNotLinked
	}
	c.render()
	c.runStart()
}

// startLink runs the engine in its own goroutine. A relink keeps the stored token: the
// service replaces it only after plex.tv validated the new one.
func (c *Controller) startLink() {
	c.show()
	if c.linkCancel != nil && c.st.ev.State == auth.StateLinked {
		// The run has a validated token and is saving it; the tray shows the link already.
		// A Relink asked for now is a new request: run it once this one is done.
		c.linkAgain = true
		return
	}
	if c.quitting || c.linkCancel != nil || c.st.busy != "" {
		return
	}
	unlock := func() {}
	if c.opts.LinkLock != nil {
		u, err := c.opts.LinkLock()
		if err != nil {
			c.st.phase, c.st.fail, c.st.err = phaseFailed, failLink, err
			c.render()
			return
		}
		unlock = u
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.linkGen++
	gen := c.linkGen
	c.linkCancel = cancel
	c.st.phase, c.st.ev, c.st.renewed, c.st.browserErr = phaseLinking, auth.Event{}, "", nil
	c.st.err, c.st.saveErr, c.st.notice = nil, nil, ""
	c.render()
	o := account.LinkOptions{
		OpenURL: c.opts.OpenURL,
		OnEvent: func(ev auth.Event) { c.post(func() { c.engineEvent(gen, ev) }) },
	}
	c.log.Info("linking started", "relink", c.st.linked)
	c.goBackground(func() {
		go c.tickCountdown(ctx, gen)
		acct, err := c.backend.Link(ctx, o)
		// Unlocked before the result is shown: the tray hears "linked" from linkFinished and
		// may ask for a relink at once, which must find the lock free.
		cancel()
		unlock()
		c.post(func() { c.linkFinished(gen, acct, err) })
	})
}

// cancelLink stops the engine and goes back to what was shown before; the stored token (if
// any) is untouched.
func (c *Controller) cancelLink() {
	if c.linkCancel == nil {
		return
	}
	c.linkCancel()
	c.linkCancel, c.linkAgain = nil, false
	c.linkGen++ // the run's late events and result no longer matter
	c.log.Info("linking cancelled")
	c.st.phase = phaseNotLinked
	if c.st.linked {
		c.st.phase = phaseLinked
	}
	c.render()
}

func (c *Controller) engineEvent(gen int, ev auth.Event) {
	if gen != c.linkGen || c.st.phase != phaseLinking {
		return
	}
	prev := c.st.ev
	if ev.Code == "" { // events about the browser or the network may not repeat the code
		ev.Code, ev.LinkURL, ev.ExpiresAt = prev.Code, prev.LinkURL, prev.ExpiresAt
	}
	switch ev.State {
	case auth.StateRenewed:
		c.st.renewed, c.st.browserErr = ev.Code, nil
	case auth.StateBrowserFailed:
		c.st.browserErr = ev.Err
		if c.st.browserErr == nil {
			c.st.browserErr = errors.New("no browser was found")
		}
		c.log.Info("the browser could not be opened", "err", ev.Err)
	case auth.StateRetrying:
		c.log.Info("plex.tv not answering; retrying", "in", ev.RetryIn, "err", ev.Err)
	}
	c.st.ev = ev
	if sameEvent(prev, ev) {
		return // polling repeats "waiting": re-rendering would drop the user's text selection
	}
	c.render()
}

func sameEvent(a, b auth.Event) bool {
	return a.State == b.State && a.Code == b.Code && a.LinkURL == b.LinkURL &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.RetryIn == b.RetryIn && errText(a.Err) == errText(b.Err)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Controller) linkFinished(gen int, acct *storage.LinkedAccount, err error) {
	current := gen == c.linkGen
	again := current && c.linkAgain
	if current {
		c.linkCancel, c.linkAgain = nil, false
	}
	var saveErr *account.SaveError
	switch {
	case err == nil || (acct != nil && !errors.As(err, &saveErr)):
		// Linked, even if the user pressed Cancel too late: show what is stored.
		if err != nil {
			c.log.Warn("linked, but the account details were not saved", "err", err)
		}
		c.linked(acct)
		if again {
			c.startLink()
		}
		return
	case !current:
		return
	case errors.As(err, &saveErr):
		c.log.Warn("plex.tv validated the token but the keychain refused it", "err", saveErr.Err)
		c.st.phase, c.st.fail, c.st.err, c.st.saveErr = phaseFailed, failSave, err, saveErr
	case errors.Is(err, auth.ErrPinExpired):
		c.log.Info("the code expired")
		c.st.phase = phaseExpired
	case errors.Is(err, context.Canceled):
		c.st.phase = phaseNotLinked
		if c.st.linked {
			c.st.phase = phaseLinked
		}
	default:
		c.log.Warn("linking failed", "err", err)
		c.st.phase, c.st.fail, c.st.err = phaseFailed, failLink, err
	}
	c.render()
}

// linked records a freshly stored token.
func (c *Controller) linked(acct *storage.LinkedAccount) {
	c.st.phase, c.st.linked, c.st.relinkNeeded = phaseLinked, true, false
	c.st.err, c.st.saveErr, c.st.notice = nil, nil, ""
	if acct != nil {
		c.st.account = acct
	}
	c.log.Info("linked", "user", c.st.username())
	c.emit(winproto.EventLinked)
	c.app.SendNotification(fyne.NewNotification(c.opts.Title, "Linked as "+c.st.username()))
	c.lastCheck = time.Now() // plex.tv validated the token just now
	c.stopHealth()
	c.armHealth()
	c.fetchAvatar()
	c.render()
}

// retrySave re-attempts a keychain save that failed after plex.tv validated the token.
func (c *Controller) retrySave() {
	se := c.st.saveErr
	if se == nil || c.st.busy != "" {
		return
	}
	c.st.busy = "Saving…"
	c.render()
	go func() {
		err := se.Retry()
		c.post(func() {
			c.st.busy = ""
			if err != nil {
				c.log.Warn("saving the token failed again", "err", err)
				c.st.err = &account.SaveError{Account: se.Account, Err: err}
				c.render()
				return
			}
			c.linked(se.Account)
		})
	}()
}

// back leaves an error or fallback screen without changing anything stored.
func (c *Controller) back() {
	c.st.err, c.st.saveErr = nil, nil
	c.st.phase = phaseNotLinked
	if c.st.linked {
		c.st.phase = phaseLinked
	}
	c.render()
}

func (c *Controller) askUnlink() {
	c.show()
	if !c.st.linked || c.confirm != nil {
		return
	}
	d := dialog.NewConfirm("Unlink Plex account?",
		"The token is removed from this computer's keychain and signed out on plex.tv.\nTools that use it stop working.",
		func(ok bool) {
			c.confirm = nil
			if ok {
				c.unlink()
			}
		}, c.win)
	d.SetConfirmText(ButtonUnlink)
	d.SetDismissText(ButtonCancel)
	d.SetConfirmImportance(widget.DangerImportance)
	c.confirm = d
	d.Show()
}

func (c *Controller) unlink() {
	if c.st.busy != "" {
		return
	}
	if c.linkCancel != nil {
		c.cancelLink()
	}
	c.st.busy, c.st.notice = "Unlinking…", ""
	c.render()
	c.goBackground(func() {
		res, err := c.backend.Unlink(c.ctx, true)
		c.post(func() { c.unlinked(res, err) })
	})
}

func (c *Controller) unlinked(res account.UnlinkResult, err error) {
	c.st.busy = ""
	if err != nil {
		c.log.Warn("unlinking failed", "err", err)
		c.st.phase, c.st.fail, c.st.err = phaseFailed, failUnlink, err
		c.render()
		return
	}
	c.stopHealth()
	c.st = state{phase: phaseNotLinked, notice: "Unlinked. The token was removed from this computer.", autostart: c.st.autostart}
	if res.SignOutErr != nil {
		c.log.Warn("plex.tv sign-out failed; unlinked locally", "err", res.SignOutErr)
		c.st.notice = "Unlinked on this computer, but plex.tv could not be told; remove the device under Authorized Devices on plex.tv if you want."
	}
	c.log.Info("unlinked")
	c.emit(winproto.EventUnlinked)
	c.render()
}

// copyToken puts the stored token on the clipboard. The keychain read is off the UI goroutine
// (an unlock prompt can take long).
func (c *Controller) copyToken() {
	go func() {
		tok, err := c.backend.Token()
		c.post(func() {
			if err != nil {
				c.log.Warn("reading the token for the clipboard failed", "err", err)
				c.st.notice = "Could not read the token: " + plainError(err)
			} else {
				c.app.Clipboard().SetContent(tok)
				c.st.notice = "Token copied to the clipboard."
			}
			c.render()
		})
	}()
}

func (c *Controller) copyText(what, text string) {
	c.app.Clipboard().SetContent(text)
	c.st.notice = what + " copied to the clipboard."
	c.render()
}

// openLinkPage re-opens the browser for the current code.
func (c *Controller) openLinkPage() {
	url, gen := c.st.ev.LinkURL, c.linkGen
	if url == "" {
		return
	}
	go func() {
		err := c.opts.OpenURL(url)
		c.post(func() {
			if gen != c.linkGen || c.st.phase != phaseLinking {
				return
			}
			c.st.browserErr = err
			if err != nil {
				c.log.Info("the browser could not be opened", "err", err)
			}
			c.render()
		})
	}()
}

// tickCountdown updates the expiry countdown once a second while this link run lasts.
func (c *Controller) tickCountdown(ctx context.Context, gen int) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.post(func() {
				if gen == c.linkGen && c.countdown != nil {
					c.countdown.SetText(countdownText(c.st.ev.ExpiresAt, time.Now()))
				}
			})
		}
	}
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

// armHealth schedules the next token check. Only a linked app has a timer: an unlinked one
// makes no network calls and no wake-ups.
func (c *Controller) armHealth() {
	if !c.st.linked || c.healthTimer != nil || c.quitting {
		return
	}
	gen := c.healthGen
	c.healthTimer = time.AfterFunc(c.opts.HealthEvery, func() { c.checkHealth(gen) })
}

func (c *Controller) stopHealth() {
	c.healthGen++
	if c.healthTimer != nil {
		c.healthTimer.Stop()
		c.healthTimer = nil
	}
}

// checkHealth asks plex.tv about the stored token. Any goroutine but the UI's.
func (c *Controller) checkHealth(gen int) {
	st, err := c.backend.Status(c.ctx, true)
	c.post(func() {
		if gen == c.healthGen {
			c.healthTimer = nil
		}
		c.applyHealth(st, err)
		if gen == c.healthGen {
			c.armHealth()
		}
	})
}

func (c *Controller) applyHealth(st account.Status, err error) {
	if c.quitting {
		return
	}
	switch {
	case err != nil:
		// The keychain did not answer (locked, busy): nothing is known to have changed.
		c.log.Info("token check postponed: keychain unavailable", "err", err)
		return
	case !st.Linked:
		if !c.st.linked {
			return
		}
		c.log.Info("the token was removed outside the app")
		c.emit(winproto.EventTokenChanged)
		c.stopHealth()
		c.st.linked, c.st.account, c.st.relinkNeeded = false, nil, false
		if c.st.phase == phaseLinked {
			c.st.phase = phaseNotLinked
		}
		c.render()
		return
	}
	c.lastCheck = time.Now()
	c.st.linked = true
	if st.Account != nil {
		c.st.account = st.Account
		c.fetchAvatar()
	}
	switch {
	case st.Valid == nil:
		c.log.Info("token check postponed: plex.tv did not answer", "err", st.CheckErr)
	case !*st.Valid && !c.st.relinkNeeded:
		c.st.relinkNeeded = true
		c.log.Warn("plex.tv rejected the stored token; relink needed")
		if c.opts.Parent != nil {
			c.emit(winproto.EventRelinkNeeded) // the tray notifies
		} else {
			c.app.SendNotification(fyne.NewNotification(c.opts.Title,
				"plex.tv no longer accepts the saved token. Relink your Plex account."))
		}
	case *st.Valid:
		c.st.relinkNeeded = false
	}
	if c.st.phase == phaseStarting || c.st.phase == phaseNotLinked {
		c.st.phase = phaseLinked
	}
	c.render()
}

// enteredForeground re-checks the token when the app comes back after a long time (a
// machine waking from sleep does not fire the timer on time).
func (c *Controller) enteredForeground() {
	if c.st.linked && !c.quitting && time.Since(c.lastCheck) >= c.opts.HealthEvery {
		c.stopHealth()
		c.lastCheck = time.Now() // one check per gap, however often focus changes
		go c.checkHealth(c.healthGen)
	}
}

// fetchAvatar downloads the account thumbnail in the background; failure keeps the placeholder.
func (c *Controller) fetchAvatar() {
	thumb := ""
	if c.st.account != nil {
		thumb = c.st.account.Thumb
	}
	if thumb == c.st.avatarFor {
		return
	}
	c.st.avatar, c.st.avatarFor = nil, thumb
	if thumb == "" {
		return
	}
	go func() {
		b, err := c.backend.Avatar(c.ctx, thumb)
		if err == nil {
			_, _, err = image.DecodeConfig(bytes.NewReader(b))
		}
		c.post(func() {
			if c.st.avatarFor != thumb {
				return
			}
			if err != nil {
				c.log.Info("avatar not shown", "err", err)
				return
			}
			c.st.avatar = fyne.NewStaticResource("avatar", b)
			c.render()
		})
	}()
}

// setAutostart turns starting at login on or off off the UI goroutine (a file or registry
// write) and shows the outcome.
func (c *Controller) setAutostart(on bool) {
	if c.opts.Autostart == nil || on == c.st.autostart {
		return
	}
	c.st.autostart = on
	c.render()
	// Writes run one after another in click order, so the last click wins on disk too.
	prev, done := c.autostartDone, make(chan struct{})
	c.autostartDone = done
	c.goBackground(func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		var err error
		if on {
			err = c.opts.Autostart.Enable()
		} else {
			err = c.opts.Autostart.Disable()
		}
		now, rerr := c.opts.Autostart.Enabled()
		c.post(func() {
			if rerr == nil {
				c.st.autostart = now
			}
			if err != nil {
				c.log.Warn("changing start at login failed", "on", on, "err", err)
				c.st.notice = "Could not change start at login: " + err.Error()
			}
			c.emit(winproto.EventAutostart)
			c.render()
		})
	})
}
