package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/internal/account"
	"codeberg.org/plexlink/plexlink/internal/winproto"
	"codeberg.org/plexlink/plexlink/storage"
)

// The screens the window can be on, one of each shape that step treats differently.
func tableScreens() map[string]Screen {
	alice := &storage.LinkedAccount{Username: "alice"}
	code := auth.Event{State: auth.StateWaiting, Code: "7K2Q", LinkURL: "https://plex.tv/link/?pin=7K2Q"}
	saving := auth.Event{State: auth.StateLinked, Code: "7K2Q", LinkURL: "https://plex.tv/link/?pin=7K2Q"}
	notSaved := account.Outcome{Kind: account.NotSaved, Account: alice, Err: storage.ErrKeychainUnavailable}
	linked := Screen{Kind: Linked, Stored: true, Account: alice, Run: 1}
	return map[string]Screen{
		"starting":     {Kind: Starting},
		"startQueued":  {Kind: Starting, Queued: evLink{}},
		"notLinked":    {Kind: NotLinked, Run: 1},
		"fetching":     {Kind: Linking, Run: 1},
		"code":         {Kind: Linking, Run: 1, Ev: code},
		"saving":       {Kind: Linking, Run: 1, Ev: saving},
		"savingAgain":  {Kind: Linking, Run: 1, Ev: saving, LinkAgain: true},
		"relinking":    {Kind: Linking, Run: 1, Ev: code, Stored: true, Account: alice},
		"expired":      {Kind: Expired, Run: 1},
		"linked":       linked,
		"relinkNeeded": func() Screen { s := linked; s.RelinkNeeded = true; return s }(),
		"confirming":   func() Screen { s := linked; s.Confirming = true; return s }(),
		"unlinking":    func() Screen { s := linked; s.Busy = BusyUnlinking; return s }(),
		"failedStatus": {Kind: Failed, Fail: FailStatus, Err: storage.ErrKeychainUnavailable},
		"failedLink":   {Kind: Failed, Fail: FailLink, Run: 1, Err: errors.New("boom")},
		"failedSave":   {Kind: Failed, Fail: FailSave, Run: 1, Err: storage.ErrKeychainUnavailable, Outcome: notSaved},
		"retrying":     {Kind: Failed, Fail: FailSave, Run: 1, Err: storage.ErrKeychainUnavailable, Outcome: notSaved, Busy: BusySaving},
		"failedUnlink": {Kind: Failed, Fail: FailUnlink, Stored: true, Account: alice, Run: 1, Err: errors.New("dbus")},
		"revokeAsk":    func() Screen { s := linked; s.RevokeAsk = beets; return s }(),
		"revoking":     func() Screen { s := linked; s.Revoking = beets; return s }(),
	}
}

// beets is the tool the table's revokes are about.
var beets = toolRef{Tool: "beets"}

// Every event step knows, with the values the tests send.
func tableEvents() map[string]any {
	alice := &storage.LinkedAccount{Username: "alice"}
	return map[string]any{
		"statusLinked":    evStatusRead{st: account.Status{Linked: true, Account: alice}},
		"statusNotLinked": evStatusRead{},
		"statusErr":       evStatusRead{err: storage.ErrKeychainUnavailable},
		"refresh":         evRefresh{},
		"link":            evLink{},
		"linkRefused":     evLinkRefused{errors.New("another Plex Link is linking")},
		"engine":          evEngine{1, auth.Event{State: auth.StatePinReady, Code: "ZX9P"}},
		"engineStale":     evEngine{0, auth.Event{State: auth.StatePinReady, Code: "OLD1"}},
		"doneLinked":      evLinkDone{1, account.Outcome{Kind: account.Linked, Account: alice}},
		"doneNotSaved":    evLinkDone{1, account.Outcome{Kind: account.NotSaved, Account: alice, Err: storage.ErrKeychainUnavailable}},
		"doneExpired":     evLinkDone{1, account.Outcome{Kind: account.Expired, Err: auth.ErrPinExpired}},
		"doneCancelled":   evLinkDone{1, account.Outcome{Kind: account.Cancelled, Err: context.Canceled}},
		"doneFailed":      evLinkDone{1, account.Outcome{Kind: account.Failed, Err: errors.New("HTTP 500")}},
		"doneStale":       evLinkDone{0, account.Outcome{Kind: account.Failed, Err: errors.New("old run")}},
		"cancel":          evCancel{},
		"retrySave":       evRetrySave{},
		"saved":           evSaveDone{account.Outcome{Kind: account.Linked, Account: alice}},
		"saveFailedAgain": evSaveDone{account.Outcome{Kind: account.NotSaved, Account: alice, Err: storage.ErrKeychainUnavailable}},
		"back":            evBack{},
		"askUnlink":       evAskUnlink{},
		"confirmYes":      evConfirm{true},
		"confirmNo":       evConfirm{false},
		"unlinked":        evUnlinkDone{},
		"unlinkFailed":    evUnlinkDone{err: errors.New("dbus")},
		// What the tray tells (winproto state) and the keychain read it may lead to.
		"stateLinked":       evState{winproto.State{Linked: true, Account: "alice"}},
		"stateRelink":       evState{winproto.State{Linked: true, Account: "alice", RelinkNeeded: true}},
		"stateOtherAccount": evState{winproto.State{Linked: true, Account: "bob"}},
		"stateNotLinked":    evState{winproto.State{}},
		"stateAutostartErr": evState{winproto.State{HasAutostart: true, AutostartErr: "read-only home"}},
		"rereadLinked":      evReread{st: account.Status{Linked: true, Account: alice}},
		"rereadGone":        evReread{st: account.Status{}},
		"rereadErr":         evReread{err: storage.ErrKeychainUnavailable},
		"foreground":        evForeground{},
		"notice":            evNotice{"Token copied to the clipboard."},
		"browser":           evBrowser{1, errors.New("no browser")},
		"autostartOn":       evAutostart{true},
		"avatar":            evAvatar{"", nil},
		"copyCode":          evCopyCode{},
		"copyLink":          evCopyLink{},
		"copyToken":         evCopyToken{},
		"openLink":          evOpenLink{},
		// What Plex Link hands out, as the tray lists it, and a tool's revoke.
		"listTools":        evList{winproto.List{Kind: winproto.ListTools, Items: []winproto.Item{{Name: "beets"}}}},
		"refreshLists":     evRefreshLists{},
		"askRevoke":        evAskRevoke{toolRef{Tool: "sonarr"}},
		"confirmRevokeYes": evConfirmRevoke{true},
		"confirmRevokeNo":  evConfirmRevoke{false},
		"revoked":          evRevoked{tool: "beets"},
		"revokeFailed":     evRevoked{tool: "beets", err: "plex.tv did not answer"},
		"revokedOther":     evRevoked{tool: "beets", user: "some-uuid"},
	}
}

// want is the next screen's kind ("" = unchanged) and the effects, e.g. "Linked effEmit,effNotify".
type rule struct {
	def  string            // for screens not listed
	per  map[string]string // screen → want
	also func(t *testing.T, from string, before, after Screen)
}

var (
	linkingScreens = []string{"fetching", "code", "relinking", "saving", "savingAgain"}
	storedScreens  = []string{"relinking", "linked", "relinkNeeded", "confirming", "unlinking", "failedUnlink", "revokeAsk", "revoking"}
	// The Linked page, idle (what its buttons act on).
	linkedIdle = []string{"linked", "relinkNeeded", "confirming", "revokeAsk", "revoking"}
	// Not stored, and not starting (the keychain read in flight decides).
	unstoredScreens = []string{"notLinked", "fetching", "code", "saving", "savingAgain", "expired", "failedStatus", "failedLink", "failedSave", "retrying"}
	allScreens      = []string{"starting", "startQueued", "notLinked", "fetching", "code", "relinking", "saving", "savingAgain", "expired", "linked",
		"relinkNeeded", "confirming", "unlinking", "failedStatus", "failedLink", "failedSave", "retrying", "failedUnlink", "revokeAsk", "revoking"}
)

func each(names []string, want string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = want
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// A stored link is announced to the tray, which notifies and restarts its checks.
const linkedEffects = "Linked effEmit"

func tableRules() map[string]rule {
	return map[string]rule{
		// A Link asked for while starting runs once the keychain has been read.
		// The window never checks the token itself: the tray does.
		"statusLinked": {per: map[string]string{"starting": "Linked",
			"startQueued": "Linking effStartLink"}},
		"statusNotLinked": {per: map[string]string{"starting": "NotLinked", "startQueued": "Linking effStartLink"}},
		"statusErr":       {per: map[string]string{"starting": "Failed", "startQueued": "Linking effStartLink"}},
		"refresh":         {per: map[string]string{"failedStatus": "Starting effReadStatus"}},
		// Not while starting, linking, busy, or holding an approval that would be lost.
		"link": {def: "Linking effStartLink", per: merge(each(linkingScreens, ""),
			map[string]string{"starting": "", "startQueued": "", "unlinking": "", "failedSave": "", "retrying": ""}),
			also: func(t *testing.T, from string, b, a Screen) {
				// Asked while a run saves its token: remembered, started after.
				if want := b.Ev.State == auth.StateLinked && b.Kind == Linking; a.LinkAgain != want {
					t.Errorf("%s: LinkAgain %t, want %t", from, a.LinkAgain, want)
				}
			}},
		"linkRefused": {per: each(linkingScreens, "Failed")},
		"engine": {per: each(linkingScreens, ""), also: func(t *testing.T, from string, b, a Screen) {
			if b.Kind == Linking && a.Ev.Code != "ZX9P" {
				t.Errorf("%s: engine event not shown: %+v", from, a.Ev)
			}
		}},
		"engineStale": {also: func(t *testing.T, from string, b, a Screen) {
			if a.Ev != b.Ev {
				t.Errorf("%s: an old run's event changed the screen", from)
			}
		}},
		// A token that got stored is shown whatever the screen: the user may have pressed
		// Cancel a moment too late.
		"doneLinked": {def: linkedEffects, per: merge(each(linkedIdle, "effEmit"),
			map[string]string{"unlinking": "", "savingAgain": "effEmit,effStartLink"}),
			also: func(t *testing.T, from string, b, a Screen) {
				if b.Busy != BusyUnlinking && (a.Busy != NotBusy || a.RelinkNeeded) {
					t.Errorf("%s: a fresh link left busy %v, relink needed %t", from, a.Busy, a.RelinkNeeded)
				}
			}},
		"doneNotSaved": {per: each(linkingScreens, "Failed")},
		"doneExpired":  {per: each(linkingScreens, "Expired")},
		"doneCancelled": {per: map[string]string{"fetching": "NotLinked", "code": "NotLinked", "relinking": "Linked",
			"saving": "NotLinked", "savingAgain": "NotLinked"}},
		"doneFailed": {per: each(linkingScreens, "Failed")},
		"doneStale":  {},
		"cancel": {per: map[string]string{"fetching": "NotLinked effCancelLink", "code": "NotLinked effCancelLink",
			"saving": "NotLinked effCancelLink", "savingAgain": "NotLinked effCancelLink",
			"relinking": "Linked effCancelLink", "failedSave": "NotLinked", "confirming": ""},
			also: func(t *testing.T, from string, b, a Screen) {
				if a.Confirming {
					t.Errorf("%s: Cancel left the confirmation open", from)
				}
			}},
		// One save at a time; Cancel and Back wait for it, or its result would be lost.
		"retrySave": {per: map[string]string{"failedSave": "effSave"}, also: func(t *testing.T, from string, b, a Screen) {
			if from == "failedSave" && a.Busy != BusySaving {
				t.Error("a retried save does not show it runs")
			}
		}},
		"saved":           {per: map[string]string{"failedSave": linkedEffects, "retrying": linkedEffects}},
		"saveFailedAgain": {},
		"back": {per: map[string]string{"expired": "NotLinked", "failedStatus": "NotLinked", "failedLink": "NotLinked",
			"failedSave": "NotLinked", "failedUnlink": "Linked"}},
		"askUnlink": {also: func(t *testing.T, from string, b, a Screen) {
			want := b.Stored && b.Busy == NotBusy && b.Kind != Starting && !b.RevokeAsk.set()
			if b.Kind == Starting && a.Queued != (evAskUnlink{}) {
				t.Errorf("%s: Unlink asked while starting was not kept for later", from)
			}
			if a.Confirming != want {
				t.Errorf("%s: confirming %t, want %t", from, a.Confirming, want)
			}
		}},
		"confirmYes": {per: map[string]string{"confirming": "effUnlink"}, also: func(t *testing.T, from string, b, a Screen) {
			if from == "confirming" && a.Busy != BusyUnlinking {
				t.Errorf("unlink confirmed without showing it runs")
			}
		}},
		"confirmNo":    {},
		"unlinked":     {per: map[string]string{"unlinking": "NotLinked effEmit"}},
		"unlinkFailed": {per: map[string]string{"unlinking": "Failed"}},
		// The tray's state: its verdict is shown as told; what is stored, the window reads
		// itself when the tray disagrees (never while starting or unlinking: the read or
		// the unlink in flight decides).
		"stateLinked": {per: each(unstoredScreens, "effReread"), also: relinkAsTold(false)},
		"stateRelink": {per: each(unstoredScreens, "effReread"), also: relinkAsTold(true)},
		"stateOtherAccount": {def: "effReread", per: map[string]string{"starting": "", "startQueued": "", "unlinking": ""},
			also: relinkAsTold(false)},
		"stateNotLinked": {per: merge(each(storedScreens, "effReread"), map[string]string{"unlinking": ""}), also: relinkAsTold(false)},
		"stateAutostartErr": {per: merge(each(storedScreens, "effReread"), map[string]string{"unlinking": ""}),
			also: func(t *testing.T, from string, b, a Screen) {
				if !a.HasAutostart || a.AutostartErr == "" || !strings.Contains(a.Notice, "read-only home") {
					t.Errorf("%s: the tray's start-at-login failure is not shown: %+v", from, a)
				}
				// The same failure told again (another field changed) is not news.
				if again, _ := step(a, evState{winproto.State{HasAutostart: true, AutostartErr: "read-only home", Autostart: true}}); again.Notice != a.Notice {
					t.Errorf("%s: a repeated failure replaced the notice", from)
				}
			}},
		"rereadLinked": {per: map[string]string{"notLinked": "Linked"}, also: func(t *testing.T, from string, b, a Screen) {
			if want := b.Stored || b.Kind != Starting && b.Busy != BusyUnlinking; a.Stored != want {
				t.Errorf("%s: stored %t after a read that found a token", from, a.Stored)
			}
		}},
		// Removed outside the app (the CLI, another window).
		"rereadGone": {per: each(linkedIdle, "NotLinked"),
			also: func(t *testing.T, from string, b, a Screen) {
				if from != "unlinking" && (a.Stored || a.RelinkNeeded || a.RevokeAsk.set()) {
					t.Errorf("%s: still stored (%t) or relink needed (%t) after a read found none", from, a.Stored, a.RelinkNeeded)
				}
			}},
		"rereadErr": {},
		// No network while not linked: only a linked window asks the tray.
		"foreground":  {per: each(storedScreens, "effEmit")},
		"notice":      {},
		"browser":     {},
		"autostartOn": {def: "effSetAutostart"},
		"avatar":      {},
		"copyCode":    {per: each([]string{"code", "relinking", "saving", "savingAgain"}, "effClipboard")},
		"copyLink":    {per: each([]string{"code", "relinking", "saving", "savingAgain"}, "effClipboard")},
		"copyToken":   {per: each(storedScreens, "effCopyToken")},
		"openLink":    {per: each([]string{"code", "relinking", "saving", "savingAgain"}, "effOpenURL")},
		// The lists are kept whatever the screen (the Linked page shows them).
		"listTools": {also: func(t *testing.T, from string, b, a Screen) {
			if len(a.Tools.Items) != 1 || a.Tools.Items[0].Name != "beets" {
				t.Errorf("%s: the tools list was not kept: %+v", from, a.Tools)
			}
		}},
		// Refresh: on the Linked page, not while unlinking or while a probe runs.
		"refreshLists": {per: each(linkedIdle, "effEmit"), also: func(t *testing.T, from string, b, a Screen) {
			if a.Kind == Linked && b.Busy == NotBusy && !a.Servers.Pending {
				t.Errorf("%s: Refresh does not show the probe runs", from)
			}
		}},
		// One revoke at a time, asked first, only on an idle Linked page.
		"askRevoke": {also: func(t *testing.T, from string, b, a Screen) {
			want := map[string]bool{"linked": true, "relinkNeeded": true}[from]
			if a.RevokeAsk.set() != (want || b.RevokeAsk.set()) {
				t.Errorf("%s: revoke confirmation open %t", from, a.RevokeAsk.set())
			}
		}},
		"confirmRevokeYes": {per: map[string]string{"revokeAsk": "effRevoke"}, also: func(t *testing.T, from string, b, a Screen) {
			if a.RevokeAsk.set() || from == "revokeAsk" && a.Revoking != beets {
				t.Errorf("%s: confirmed revoke left ask %+v, revoking %+v", from, a.RevokeAsk, a.Revoking)
			}
		}},
		"confirmRevokeNo": {also: func(t *testing.T, from string, b, a Screen) {
			if a.RevokeAsk.set() || a.Revoking != b.Revoking {
				t.Errorf("%s: Cancel did not just close the confirmation", from)
			}
		}},
		"revoked":      {also: revokeAnswered("Revoked beets")},
		"revokeFailed": {also: revokeAnswered("Could not revoke beets: plex.tv did not answer")},
		// An answer about another tool (the same name, a Home user's) is not this one's.
		"revokedOther": {also: func(t *testing.T, from string, b, a Screen) {
			if a.Revoking != b.Revoking || a.Notice != b.Notice {
				t.Errorf("%s: another tool's answer ended this revoke", from)
			}
		}},
	}
}

// revokeAnswered checks the tray's answer ends the revoke in flight, and only that.
func revokeAnswered(notice string) func(t *testing.T, from string, b, a Screen) {
	return func(t *testing.T, from string, b, a Screen) {
		if from != "revoking" {
			if a.Notice != b.Notice {
				t.Errorf("%s: an answer to no revoke changed the notice", from)
			}
			return
		}
		if a.Revoking.set() || !strings.HasPrefix(a.Notice, notice) {
			t.Errorf("%s: revoking %+v, notice %q", from, a.Revoking, a.Notice)
		}
	}
}

// TestStepTable runs every event on every screen and checks the next screen's kind and the
// effects against the table; an event or screen without a row fails, so a new one cannot
// slip in unexamined.
func TestStepTable(t *testing.T) {
	screens, events, rules := tableScreens(), tableEvents(), tableRules()
	if len(screens) != len(allScreens) {
		t.Fatalf("allScreens lists %d of %d screens", len(allScreens), len(screens))
	}
	for name := range events {
		if _, ok := rules[name]; !ok {
			t.Errorf("event %q has no row in the table", name)
		}
	}
	pairs := 0
	for en, e := range events {
		r := rules[en]
		for sn, s := range screens {
			want, ok := r.per[sn]
			if !ok {
				want = r.def
			}
			next, effs := step(s, e)
			pairs++
			// step is pure: the same input gives the same output.
			if again, effs2 := step(s, e); !reflect.DeepEqual(again, next) || !reflect.DeepEqual(effs, effs2) {
				t.Errorf("%s on %s: step is not deterministic", en, sn)
			}
			if got := describeStep(s, next, effs); got != normalise(want) {
				t.Errorf("%s on %s: got %q, want %q", en, sn, got, normalise(want))
			}
			if r.also != nil {
				r.also(t, sn, s, next)
			}
			checkInvariants(t, en, sn, next)
		}
	}
	t.Logf("%d (screen, event) pairs", pairs)
}

func describeStep(before, after Screen, effs []Effect) string {
	var parts []string
	if after.Kind != before.Kind {
		parts = append(parts, kindName(after.Kind))
	}
	var names []string
	for _, e := range effs {
		names = append(names, strings.TrimPrefix(fmt.Sprintf("%T", e), "ui."))
	}
	if len(names) > 0 {
		parts = append(parts, strings.Join(names, ","))
	}
	return strings.Join(parts, " ")
}

func normalise(want string) string { return strings.TrimSpace(want) }

func kindName(k Kind) string {
	return [...]string{"Starting", "NotLinked", "Linking", "Expired", "Linked", "Failed"}[k]
}

func TestKindNamesCoverEveryKind(t *testing.T) {
	if len(kindNames) != int(Failed)+1 {
		t.Fatal("kindNames misses a Kind")
	}
}

// checkInvariants hold on every screen step can produce.
func checkInvariants(t *testing.T, en, sn string, s Screen) {
	t.Helper()
	if s.Kind == Linked && !s.Stored {
		t.Errorf("%s on %s: Linked screen without a stored token", en, sn)
	}
	if s.Kind == Failed && s.Fail == FailSave && s.Outcome.Kind != account.NotSaved {
		t.Errorf("%s on %s: a save failure without the approval to retry", en, sn)
	}
	if s.Confirming && !s.Stored {
		t.Errorf("%s on %s: confirming an unlink with nothing stored", en, sn)
	}
	if s.RevokeAsk.set() && (!s.Stored || s.Confirming) {
		t.Errorf("%s on %s: a revoke confirmation with nothing stored or over the unlink's", en, sn)
	}
}

func TestPrimaryEventIsTheHighlightedButton(t *testing.T) {
	screens := tableScreens()
	want := map[string]any{
		"notLinked": evLink{}, "expired": evLink{}, "relinkNeeded": evLink{}, "confirming": evConfirm{true},
		"failedStatus": evRefresh{}, "failedLink": evLink{}, "failedSave": evRetrySave{}, "failedUnlink": evAskUnlink{},
		"revokeAsk": evConfirmRevoke{true},
	}
	names := make([]string, 0, len(screens))
	for n := range screens {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if got := primaryEvent(screens[n]); !reflect.DeepEqual(got, want[n]) {
			t.Errorf("Enter on %s: %#v, want %#v", n, got, want[n])
		}
	}
	if escapeEvent(screens["code"]) != (evCancel{}) || escapeEvent(screens["confirming"]) != (evConfirm{false}) || escapeEvent(screens["linked"]) != nil ||
		escapeEvent(screens["revokeAsk"]) != (evConfirmRevoke{false}) {
		t.Error("Escape: cancel the engine, close the dialog, else nothing")
	}
}

// relinkAsTold checks that the window shows the tray's verdict on the token as it was told.
func relinkAsTold(want bool) func(t *testing.T, from string, b, a Screen) {
	return func(t *testing.T, from string, b, a Screen) {
		if a.RelinkNeeded != want {
			t.Errorf("%s: relink needed %t, the tray said %t", from, a.RelinkNeeded, want)
		}
	}
}
