package ui

import (
	"errors"

	"fyne.io/fyne/v2"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// Kind is which screen the window shows.
type Kind int

const (
	Starting  Kind = iota // reading the keychain
	NotLinked             // no token stored
	Linking               // the engine runs (a first link or a relink)
	Expired               // the engine gave up after its own renewals
	Linked                // a token is stored (maybe rejected: RelinkNeeded)
	Failed                // something needs the user; Fail says what
)

// kindNames are for the log.
var kindNames = [...]string{"starting", "not linked", "linking", "expired", "linked", "failed"}

// Failure is what a Failed screen is about, and so what its main button retries.
type Failure int

const (
	FailStatus Failure = iota // the keychain could not be read at start
	FailLink                  // the link run failed; nothing was stored
	FailSave                  // plex.tv validated the token, the keychain refused it
	FailUnlink                // the token could not be removed
)

// Busy is the background action in progress, shown as a line with a spinner; NotBusy:
// none. While one runs, actions that would conflict with it are refused.
type Busy int

const (
	NotBusy       Busy = iota
	BusyUnlinking      // the token is being removed
	BusySaving         // a validated token is being saved again (Try saving again)
)

// busyText is what the busy line says for each kind.
var busyText = [...]string{NotBusy: "", BusyUnlinking: "Unlinking…", BusySaving: "Saving…"}

// Screen is everything the window shows, as one value. Only step changes it; the view
// renders it, the controller carries out the effects step asks for.
type Screen struct {
	Kind         Kind
	Stored       bool // a token is stored, as far as the app knows
	Account      *storage.LinkedAccount
	RelinkNeeded bool // the tray's check found plex.tv answered 401/422 for the stored token

	Run        int        // the current link run; events of older runs are dropped
	Ev         auth.Event // the latest engine event of the current run
	Renewed    string     // a code the engine issued after the previous one expired
	BrowserErr error      // the browser could not be opened for this run
	LinkAgain  bool       // a link was asked for while this run saved its token: start it after

	Fail    Failure
	Err     error
	Outcome account.Outcome // FailSave: the approval that Retry saves

	Queued     any    // evLink or evAskUnlink asked for while Starting: run once the keychain was read
	Confirming bool   // the unlink confirmation is open
	Busy       Busy   // a background action in progress
	Notice     string // one line of feedback ("Token copied to the clipboard.")

	// Start at login, as the tray last told (the tray owns it; Autostart also shows a click
	// at once).
	HasAutostart bool
	Autostart    bool
	AutostartErr string // the tray's last write failure

	Avatar    fyne.Resource // nil → placeholder
	AvatarFor string        // the thumb URL Avatar came from

	// What Plex Link hands out, as the tray last listed it (shown under the account).
	Servers, Tools, Users winproto.List
	RevokeAsk             toolRef // the Revoke… confirmation is open for this tool
	Revoking              toolRef // the tray was asked to revoke this tool
}

// toolRef names a tool's token: the account's (User "") or a Home user's (User: the uuid,
// UserName: how the window names them). The zero value is none.
type toolRef struct{ Tool, User, UserName string }

func (r toolRef) set() bool { return r.Tool != "" }

// label is how the window names the tool.
func (r toolRef) label() string {
	if r.UserName != "" {
		return r.Tool + " (as " + r.UserName + ")"
	}
	return r.Tool
}

// username is how the window names the account.
func (s Screen) username() string { return account.DisplayName(s.Account) }

// rest is the screen to return to when an action ends: linked or not.
func (s Screen) rest() Kind {
	if s.Stored {
		return Linked
	}
	return NotLinked
}

// Events: what happened. Those from goroutines carry what they found.
type (
	evStatusRead struct {
		st  account.Status
		err error
	} // the keychain was read at start
	evRefresh     struct{}            // Try again on a failed start
	evLink        struct{}            // Link, Relink, Get a new code
	evLinkRefused struct{ err error } // the link lock is held elsewhere
	evEngine      struct {
		run int
		ev  auth.Event
	}
	evLinkDone struct {
		run int
		out account.Outcome
	}
	evCancel     struct{}
	evRetrySave  struct{}
	evSaveDone   struct{ out account.Outcome }
	evBack       struct{}
	evAskUnlink  struct{}
	evConfirm    struct{ ok bool }
	evUnlinkDone struct {
		res account.UnlinkResult
		err error
	}
	evState  struct{ st winproto.State } // what the tray knows now (its check, start at login)
	evReread struct {
		st  account.Status
		err error
	} // the keychain, read again because the tray's state differed from the window's
	evForeground struct{} // the window came to the front
	evNotice     struct{ text string }
	evBrowser    struct {
		run int
		err error
	}
	evAutostart struct{ on bool } // the check was clicked
	evAvatar    struct {
		thumb string
		res   fyne.Resource
	}
	evList          struct{ l winproto.List } // the tray listed a section
	evRefreshLists  struct{}                  // Refresh: probe the servers again
	evAskRevoke     struct{ ref toolRef }     // Revoke… on a tool's row
	evConfirmRevoke struct{ ok bool }
	evRevoked       struct {
		tool, user, err string
	} // the tray's answer to a revoke
	evCopyCode  struct{}
	evCopyLink  struct{}
	evCopyToken struct{}
	evOpenLink  struct{}
)

// Effect is work step asks the controller to do; its result comes back as an event.
type Effect interface{ effect() }

type (
	effReadStatus   struct{}
	effReread       struct{} // read the keychain again (evReread)
	effStartLink    struct{ run int }
	effCancelLink   struct{}
	effSave         struct{ out account.Outcome }
	effUnlink       struct{}
	effEmit         struct{ event string } // tell the tray (winproto)
	effFetchAvatar  struct{ thumb string }
	effSetAutostart struct{ on bool }           // ask the tray to switch start at login
	effClipboard    struct{ what, text string } // not a secret: a code or a URL
	effCopyToken    struct{}                    // read the keychain, copy as a secret
	effOpenURL      struct {
		run int
		url string
	}
	effRevoke struct{ ref toolRef } // ask the tray to revoke the tool's token
)

func (effReadStatus) effect()   {}
func (effReread) effect()       {}
func (effStartLink) effect()    {}
func (effCancelLink) effect()   {}
func (effSave) effect()         {}
func (effUnlink) effect()       {}
func (effEmit) effect()         {}
func (effFetchAvatar) effect()  {}
func (effSetAutostart) effect() {}
func (effClipboard) effect()    {}
func (effCopyToken) effect()    {}
func (effOpenURL) effect()      {}
func (effRevoke) effect()       {}

// Messages the window shows.
const (
	noticeUnlinked        = "Unlinked. The token was removed from this computer."
	noticeUnlinkedLocally = "Unlinked on this computer, but plex.tv could not be told; remove the device under Authorized Devices on plex.tv if you want."
)

// step is the whole behaviour of the window: the next screen and the work to start, from
// the current screen and what happened. It is pure: no widgets, no goroutines, no clock.
func step(s Screen, e any) (Screen, []Effect) {
	switch e := e.(type) {
	case evStatusRead:
		if s.Kind != Starting {
			return s, nil
		}
		var eff []Effect
		switch {
		case e.err != nil:
			s.Kind, s.Fail, s.Err = Failed, FailStatus, e.err
		case e.st.Linked:
			s.Kind, s.Stored, s.Account = Linked, true, e.st.Account
			eff = avatar(&s)
		default:
			s.Kind = NotLinked
		}
		// A request that came while the keychain was read (the tray's Link, a quick click)
		// runs now that a relink can be told from a first link.
		if q := s.Queued; q != nil {
			s.Queued = nil
			var more []Effect
			s, more = step(s, q)
			eff = append(eff, more...)
		}
		return s, eff

	case evRefresh:
		if s.Kind != Failed || s.Fail != FailStatus {
			return s, nil
		}
		s.Kind, s.Err = Starting, nil
		return s, []Effect{effReadStatus{}}

	case evLink:
		switch {
		case s.Kind == Starting:
			s.Queued = e
			return s, nil
		case s.Kind == Linking && s.Ev.State == auth.StateLinked:
			// The run has a validated token and is saving it (the tray may already show the
			// link): a Relink asked for now is a new request, run once this one is done.
			s.LinkAgain = true
			return s, nil
		case s.Kind == Starting || s.Kind == Linking || s.Busy != NotBusy:
			return s, nil
		case s.Kind == Failed && s.Fail == FailSave:
			return s, nil // the approval would be lost: save it or cancel first
		}
		return newRun(s)

	case evLinkRefused:
		if s.Kind != Linking {
			return s, nil
		}
		s.Kind, s.Fail, s.Err = Failed, FailLink, e.err
		return s, nil

	case evEngine:
		if e.run != s.Run || s.Kind != Linking {
			return s, nil
		}
		ev := e.ev
		if ev.Code == "" { // events about the browser or the network may not repeat the code
			ev.Code, ev.LinkURL, ev.ExpiresAt = s.Ev.Code, s.Ev.LinkURL, s.Ev.ExpiresAt
		}
		switch ev.State {
		case auth.StateRenewed:
			s.Renewed, s.BrowserErr = ev.Code, nil
		case auth.StateBrowserFailed:
			s.BrowserErr = ev.Err
			if s.BrowserErr == nil {
				s.BrowserErr = errors.New("no browser was found")
			}
		}
		s.Ev = ev
		return s, nil

	case evBrowser:
		if e.run != s.Run || s.Kind != Linking {
			return s, nil
		}
		s.BrowserErr = e.err
		return s, nil

	case evLinkDone:
		return linkDone(s, e)

	case evCancel:
		switch {
		case s.Confirming:
			s.Confirming = false
			return s, nil
		case s.Kind == Linking:
			s.Run++ // the run's late events and result no longer matter
			s.Kind, s.LinkAgain = s.rest(), false
			return s, []Effect{effCancelLink{}}
		case s.Kind == Failed && s.Fail == FailSave && s.Busy == NotBusy:
			// Not while a save runs: its result would find no screen to land on.
			s.Kind, s.Err, s.Outcome = s.rest(), nil, account.Outcome{}
			return s, nil
		}
		return s, nil

	case evRetrySave:
		if s.Kind != Failed || s.Fail != FailSave || s.Busy != NotBusy {
			return s, nil
		}
		s.Busy = BusySaving
		return s, []Effect{effSave{s.Outcome}}

	case evSaveDone:
		if s.Kind != Failed || s.Fail != FailSave {
			return s, nil
		}
		s.Busy = NotBusy
		if e.out.Kind == account.NotSaved {
			s.Err, s.Outcome = e.out.Err, e.out
			return s, nil
		}
		return linked(s, e.out)

	case evBack:
		if s.Kind != Failed && s.Kind != Expired || s.Busy != NotBusy {
			return s, nil
		}
		s.Kind, s.Err, s.Outcome = s.rest(), nil, account.Outcome{}
		return s, nil

	case evAskUnlink:
		if s.Kind == Starting {
			s.Queued = e
			return s, nil
		}
		if !s.Stored || s.Busy != NotBusy || s.RevokeAsk.set() {
			return s, nil
		}
		s.Confirming = true
		return s, nil

	case evConfirm:
		if !s.Confirming {
			return s, nil
		}
		s.Confirming = false
		if !e.ok {
			return s, nil
		}
		var eff []Effect
		if s.Kind == Linking {
			s.Run++
			eff = append(eff, effCancelLink{})
		}
		s.Kind, s.Busy, s.Notice = s.rest(), BusyUnlinking, ""
		return s, append(eff, effUnlink{})

	case evUnlinkDone:
		if s.Busy != BusyUnlinking {
			return s, nil
		}
		s.Busy = NotBusy
		if e.err != nil {
			s.Kind, s.Fail, s.Err = Failed, FailUnlink, e.err
			return s, nil
		}
		next := Screen{Kind: NotLinked, Run: s.Run, Notice: noticeUnlinked,
			HasAutostart: s.HasAutostart, Autostart: s.Autostart, AutostartErr: s.AutostartErr}
		if e.res.SignOutErr != nil {
			next.Notice = noticeUnlinkedLocally
		}
		return next, []Effect{effEmit{winproto.EventUnlinked}}

	case evState:
		return trayState(s, e.st)

	case evReread:
		return reread(s, e)

	case evForeground:
		if !s.Stored {
			return s, nil // nothing to check: no network while not linked
		}
		return s, []Effect{effEmit{winproto.EventCheckDue}}

	case evNotice:
		s.Notice = e.text
		return s, nil

	case evAutostart:
		if e.on == s.Autostart {
			return s, nil
		}
		s.Autostart = e.on
		return s, []Effect{effSetAutostart{e.on}}

	case evAvatar:
		if e.thumb == s.AvatarFor {
			s.Avatar = e.res
		}
		return s, nil

	case evList:
		switch e.l.Kind {
		case winproto.ListServers:
			s.Servers = e.l
		case winproto.ListTools:
			s.Tools = e.l
		case winproto.ListUsers:
			s.Users = e.l
		}
		return s, nil

	case evRefreshLists:
		if s.Kind != Linked || s.Busy != NotBusy || s.Servers.Pending {
			return s, nil
		}
		s.Servers.Pending = true // the tray says so too; shown at once
		return s, []Effect{effEmit{winproto.EventRefresh}}

	case evAskRevoke:
		if s.Kind != Linked || s.Busy != NotBusy || s.Confirming || s.RevokeAsk.set() || s.Revoking.set() || !e.ref.set() {
			return s, nil
		}
		s.RevokeAsk = e.ref
		return s, nil

	case evConfirmRevoke:
		if !s.RevokeAsk.set() {
			return s, nil
		}
		ref := s.RevokeAsk
		s.RevokeAsk = toolRef{}
		if !e.ok || s.Kind != Linked {
			return s, nil
		}
		s.Revoking, s.Notice = ref, ""
		return s, []Effect{effRevoke{ref}}

	case evRevoked:
		if !s.Revoking.set() || s.Revoking.Tool != e.tool || s.Revoking.User != e.user {
			return s, nil
		}
		name := s.Revoking.label()
		s.Revoking = toolRef{}
		if e.err != "" {
			s.Notice = "Could not revoke " + name + ": " + e.err
		} else {
			s.Notice = "Revoked " + name + ": its token was signed out on plex.tv and removed from this computer."
		}
		return s, nil

	case evCopyCode:
		if s.Kind != Linking || s.Ev.Code == "" {
			return s, nil
		}
		s.Notice = "Code copied to the clipboard."
		return s, []Effect{effClipboard{"Code", s.Ev.Code}}

	case evCopyLink:
		if s.Kind != Linking || s.Ev.LinkURL == "" {
			return s, nil
		}
		s.Notice = "Link copied to the clipboard."
		return s, []Effect{effClipboard{"Link", s.Ev.LinkURL}}

	case evCopyToken:
		if !s.Stored {
			return s, nil
		}
		return s, []Effect{effCopyToken{}}

	case evOpenLink:
		if s.Kind != Linking || s.Ev.LinkURL == "" {
			return s, nil
		}
		return s, []Effect{effOpenURL{s.Run, s.Ev.LinkURL}}
	}
	return s, nil
}

// newRun starts a link run.
func newRun(s Screen) (Screen, []Effect) {
	s.Run++
	s.Kind, s.Ev, s.Renewed, s.BrowserErr, s.LinkAgain = Linking, auth.Event{}, "", nil, false
	s.Err, s.Outcome, s.Notice, s.Confirming, s.RevokeAsk = nil, account.Outcome{}, "", false, toolRef{}
	return s, []Effect{effStartLink{s.Run}}
}

func linkDone(s Screen, e evLinkDone) (Screen, []Effect) {
	if s.Busy == BusyUnlinking {
		return s, nil // an unlink runs: what it leaves is what is shown
	}
	if e.out.Kind == account.Linked {
		// Linked, even if the user pressed Cancel too late: show what is stored.
		again := s.LinkAgain && e.run == s.Run
		next, eff := linked(s, e.out)
		if again {
			next, more := newRun(next)
			return next, append(eff, more...)
		}
		return next, eff
	}
	if e.run != s.Run || s.Kind != Linking {
		return s, nil
	}
	s.LinkAgain = false
	switch e.out.Kind {
	case account.NotSaved:
		s.Kind, s.Fail, s.Err, s.Outcome = Failed, FailSave, e.out.Err, e.out
	case account.Expired:
		s.Kind = Expired
	case account.Cancelled:
		s.Kind = s.rest()
	default:
		s.Kind, s.Fail, s.Err = Failed, FailLink, e.out.Err
	}
	return s, nil
}

// linked records a freshly stored token.
func linked(s Screen, out account.Outcome) (Screen, []Effect) {
	s.Kind, s.Stored, s.RelinkNeeded, s.Busy = Linked, true, false, NotBusy
	s.Err, s.Outcome, s.Notice = nil, account.Outcome{}, ""
	if out.Account != nil {
		s.Account = out.Account
	}
	if out.Err != nil {
		s.Notice = out.Summary()
	}
	// The tray notifies "Linked as …" and restarts its checks from this event.
	eff := []Effect{effEmit{winproto.EventLinked}}
	return s, append(eff, avatar(&s)...)
}

// trayState shows what the tray told: its token check's verdict and start at login. Whether
// a token is stored, and whose, the window reads from the keychain itself: a state that
// disagrees (an unlink or link outside the app, or a state sent before the tray heard of
// this window's own change) makes it read again rather than believe it.
func trayState(s Screen, st winproto.State) (Screen, []Effect) {
	if st.AutostartErr != "" && st.AutostartErr != s.AutostartErr {
		s.Notice = "Could not change start at login: " + st.AutostartErr
	}
	s.HasAutostart, s.Autostart, s.AutostartErr = st.HasAutostart, st.Autostart, st.AutostartErr
	s.RelinkNeeded = st.Linked && st.RelinkNeeded
	if s.Kind == Starting || s.Busy == BusyUnlinking {
		return s, nil // the keychain read or the unlink in flight decides what is stored
	}
	if st.Linked != s.Stored || st.Linked && st.Account != s.username() {
		return s, []Effect{effReread{}}
	}
	return s, nil
}

// reread records what the keychain holds now.
func reread(s Screen, e evReread) (Screen, []Effect) {
	switch {
	case s.Kind == Starting || s.Busy == BusyUnlinking:
		return s, nil // a read that met the unlink half-way says nothing about what is left
	case e.err != nil:
		return s, nil // the keychain did not answer (locked, busy): nothing is known to have changed
	case !e.st.Linked:
		if !s.Stored {
			return s, nil
		}
		// Removed outside the app (the CLI, another window).
		s.Stored, s.Account, s.RelinkNeeded, s.Confirming, s.RevokeAsk = false, nil, false, false, toolRef{}
		if s.Kind == Linked {
			s.Kind = NotLinked
		}
		return s, nil
	}
	var eff []Effect
	s.Stored = true
	if e.st.Account != nil {
		s.Account = e.st.Account
		eff = avatar(&s)
	}
	if s.Kind == NotLinked {
		s.Kind = Linked
	}
	return s, eff
}

// avatar asks for the account's thumbnail when it changed.
func avatar(s *Screen) []Effect {
	thumb := ""
	if s.Account != nil {
		thumb = s.Account.Thumb
	}
	if thumb == s.AvatarFor {
		return nil
	}
	s.Avatar, s.AvatarFor = nil, thumb
	if thumb == "" {
		return nil
	}
	return []Effect{effFetchAvatar{thumb}}
}
