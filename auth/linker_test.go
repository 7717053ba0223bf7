package auth_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

func TestLinkHappyPath(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	var minted atomic.Value
	rec.hook = func(ev auth.Event) {
		if ev.State == auth.StateWaiting {
			tok, err := srv.Approve(ev.Code)
			if err != nil {
				t.Error(err)
			}
			minted.Store(tok)
		}
	}
	l := linker(t, srv, rec)
	opened := make(chan string, 1)
	l.OpenURL = func(u string) error { opened <- u; return nil }

	start := time.Now()
	res, err := l.Link(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sameToken(t, res.Token, minted.Load().(string))
	if res.Account.Username != plextvtest.DefaultUsername || res.Account.ID == 0 {
		t.Fatalf("account: %+v", res.Account)
	}
	want := []auth.State{auth.StatePinReady, auth.StateWaiting, auth.StateValidating, auth.StateLinked}
	if got := rec.states(); !slices.Equal(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	ready := rec.all()[0]
	if ready.LinkURL != srv.LinkURL+"/?pin="+ready.Code || len(ready.Code) != 4 {
		t.Fatalf("PinReady: code %q url %q", ready.Code, ready.LinkURL)
	}
	if d := time.Until(ready.ExpiresAt); d < 890*time.Second || d > 900*time.Second {
		t.Fatalf("ExpiresAt is %v away, want ≈900s", d)
	}
	if u := <-opened; u != ready.LinkURL {
		t.Fatalf("opened %q, want %q", u, ready.LinkURL)
	}
	if linked := rec.with(auth.StateLinked)[0]; linked.Account == nil || linked.Account.UUID != res.Account.UUID {
		t.Fatalf("Linked event account: %+v", linked.Account)
	}
	if srv.Count(plextvtest.RouteCreatePin) != 1 || srv.Count(plextvtest.RouteUser) != 1 {
		t.Fatalf("requests: %d pins, %d user", srv.Count(plextvtest.RouteCreatePin), srv.Count(plextvtest.RouteUser))
	}
	if time.Since(start) > time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestLinkStrongUsesAuthApp(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StateWaiting)
	l.Strong = true
	opened := make(chan string, 1)
	l.OpenURL = func(u string) error { opened <- u; return nil }
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := rec.all()[0]
	if len(ev.Code) != 25 || !strings.HasPrefix(ev.LinkURL, "https://app.plex.tv/auth#?clientID=") ||
		!strings.Contains(ev.LinkURL, "&code="+ev.Code+"&") || <-opened != ev.LinkURL {
		t.Fatalf("strong: code %q url %q", ev.Code, ev.LinkURL)
	}
}

func TestLinkBrowserFailureIsReportedNotFatal(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StateBrowserFailed)
	errNoBrowser := errors.New("no browser here")
	l.OpenURL = func(string) error { return errNoBrowser }
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	bf := rec.with(auth.StateBrowserFailed)
	if len(bf) != 1 || !errors.Is(bf[0].Err, errNoBrowser) || bf[0].Code == "" {
		t.Fatalf("BrowserFailed events: %+v", bf)
	}
}

// An opener that blocks (pkg/browser waiting for xdg-open) must not hold Link up.
func TestLinkDoesNotWaitForBlockingOpener(t *testing.T) {
	srv := newServer(t)
	release := make(chan struct{})
	returned := make(chan struct{})
	l := linker(t, srv, &events{}, auth.StateWaiting)
	l.OpenURL = func(string) error { <-release; close(returned); return errors.New("late") }
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-returned // the opener goroutine ends with the opener; goleak in TestMain checks it is gone
}

func TestLinkBacksOffOn503AndCaps(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StatePinReady)
	srv.FailNext(plextvtest.RoutePin, 3, plextvtest.Fault{Status: 503})
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for _, ev := range rec.with(auth.StateRetrying) {
		var ae *auth.APIError
		if !errors.As(ev.Err, &ae) || ae.Status != 503 {
			t.Fatalf("Retrying.Err = %v", ev.Err)
		}
		waits = append(waits, ev.RetryIn)
	}
	// PollInterval 20ms doubling, capped by MaxBackoff 50ms.
	if want := []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond}; !slices.Equal(waits, want) {
		t.Fatalf("backoff %v, want %v", waits, want)
	}
	if n := srv.Count(plextvtest.RoutePin); n != 4 {
		t.Fatalf("%d polls, want 4", n)
	}
}

func TestLinkHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StatePinReady)
	srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 429, RetryAfter: "1"})
	start := time.Now()
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := rec.with(auth.StateRetrying)
	if len(r) != 1 || r[0].RetryIn != time.Second || !errors.Is(r[0].Err, auth.ErrRateLimited) {
		t.Fatalf("Retrying: %+v", r)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %v, before Retry-After's 1s", d)
	}
}

func TestLinkRetriesTransportFailures(t *testing.T) {
	for name, fault := range map[string]plextvtest.Fault{
		"hung request": {Hang: true},
		"reset":        {Reset: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			rec := &events{}
			l := linker(t, srv, rec, auth.StatePinReady)
			l.Client.RequestTimeout = 100 * time.Millisecond
			srv.FailNext(plextvtest.RoutePin, 3, fault)
			if _, err := l.Link(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := rec.with(auth.StateRetrying)
			if len(r) == 0 || !auth.IsTransient(r[0].Err) {
				t.Fatalf("Retrying events: %+v", r)
			}
			if name == "hung request" && !errors.Is(r[0].Err, context.DeadlineExceeded) {
				t.Fatalf("hung request error: %v", r[0].Err)
			}
		})
	}
}

// badAnswers are answers a captive portal, a proxy or a CDN sends in plex.tv's place.
var badAnswers = map[string]plextvtest.Fault{
	"HTML with status 200": {Body: "<html><head><title>Sign in to Wi-Fi</title></head></html>", ContentType: "text/html"},
	"2 MiB body":           {BodySize: 2 << 20},
	`"id":"abc"`:           {Body: `{"id":"abc","code":"ABCD","expiresIn":900}`},
	`"authToken":5`:        {Body: `{"id":7,"code":"ABCD","expiresIn":900,"authToken":5}`},
	"every type wrong":     {WrongTypes: true},
	"truncated JSON":       {Body: `{"id":7,"code":"AB`},
	"empty":                {Body: " "},
}

// The user approves while one poll answer is garbage: the approval must not be lost.
func TestLinkSurvivesOneBadPollAnswer(t *testing.T) {
	for name, fault := range badAnswers {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			rec := &events{}
			l := linker(t, srv, rec, auth.StatePinReady)
			srv.FailNext(plextvtest.RoutePin, 1, fault)
			if _, err := l.Link(context.Background()); err != nil {
				t.Fatalf("one bad answer ended the link: %v", err)
			}
			r := rec.with(auth.StateRetrying)
			if len(r) != 1 || !errors.Is(r[0].Err, auth.ErrBadResponse) || r[0].RetryIn <= 0 {
				t.Fatalf("Retrying events: %+v", r)
			}
			var be *auth.BadResponseError
			if !errors.As(r[0].Err, &be) || be.Status != 200 {
				t.Fatalf("the retry reason does not say what was sent: %v", r[0].Err)
			}
		})
	}
}

func TestLinkFailsAfterFiveBadAnswersInARow(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StatePinReady)
	srv.FailNext(plextvtest.RoutePin, 4, badAnswers["HTML with status 200"])
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatalf("four bad answers in a row ended the link: %v", err)
	}

	// A cut-off token in the body must not reach the error text, not even in part.
	const secret = "zQ9xK2mP7vB4nL8wR3tY"
	srv.FailNext(plextvtest.RoutePin, 5, plextvtest.Fault{Body: `{"id":7,"code":"ABCD","authToken":"` + secret[:12], ContentType: "application/json; charset=utf-8"})
	rec = &events{}
	l = linker(t, srv, rec, auth.StatePinReady)
	_, err := l.Link(context.Background())
	if !errors.Is(err, auth.ErrBadResponse) {
		t.Fatalf("want ErrBadResponse after five bad answers, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"5 undecodable answers in a row", "HTTP 200", "application/json; charset=utf-8", `{\"id\":7,\"code\":\"ABCD\",\"authToken\":\"[redacted]`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, secret[:6]) {
		t.Fatalf("error text holds part of the token: %q", msg)
	}
	if n := len(rec.with(auth.StateRetrying)); n != 4 {
		t.Fatalf("%d Retrying events, want 4 (then the fifth bad answer fails)", n)
	}
	if failed := rec.with(auth.StateFailed); len(failed) != 1 || failed[0].Err != err {
		t.Fatalf("Failed events: %+v", failed)
	}
}

// A good answer in between starts the count again: only a run of five ends a link.
func TestLinkBadAnswerCountResetsOnGoodAnswer(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	html := badAnswers["HTML with status 200"]
	srv.FailNext(plextvtest.RoutePin, 4, html)
	srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 503})
	srv.FailNext(plextvtest.RoutePin, 4, html)
	l := linker(t, srv, rec, auth.StatePinReady)
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.with(auth.StateRetrying)); n != 9 {
		t.Fatalf("%d Retrying events, want 9", n)
	}
}

func TestLinkFailsOnPermanentErrors(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec)
	srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 400, Body: `{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing","status":400}]}`})
	_, err := l.Link(context.Background())
	if err == nil || auth.IsTransient(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	if failed := rec.with(auth.StateFailed); len(failed) != 1 || failed[0].Err != err {
		t.Fatalf("Failed events: %+v", failed)
	}
}

// After approval, GET /user answers garbage: the token is kept and checked again.
func TestLinkValidationToleratesBadAnswers(t *testing.T) {
	for name, fault := range badAnswers {
		if name == `"authToken":5` {
			continue // a pin's field: as a user body it is a user with id 7
		}
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			rec := &events{}
			l := linker(t, srv, rec, auth.StatePinReady)
			srv.FailNext(plextvtest.RouteUser, 1, fault)
			res, err := l.Link(context.Background())
			if err != nil {
				t.Fatalf("one bad /user answer threw the approval away: %v", err)
			}
			if res.Account.Username != plextvtest.DefaultUsername || srv.Count(plextvtest.RouteUser) != 2 {
				t.Fatalf("account %+v after %d GET /user", res.Account, srv.Count(plextvtest.RouteUser))
			}
		})
	}
	t.Run("five in a row", func(t *testing.T) {
		srv := newServer(t)
		rec := &events{}
		l := linker(t, srv, rec, auth.StatePinReady)
		srv.FailNext(plextvtest.RouteUser, 5, badAnswers["HTML with status 200"])
		_, err := l.Link(context.Background())
		if !errors.Is(err, auth.ErrBadResponse) || !strings.Contains(err.Error(), "validating the new token") ||
			!strings.Contains(err.Error(), "text/html") {
			t.Fatalf("want a validation error saying what was sent, got %v", err)
		}
	})
}

func TestLinkCreatePinRetriesBadAnswers(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StatePinReady)
	srv.FailNext(plextvtest.RouteCreatePin, 2, badAnswers["HTML with status 200"])
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatalf("two bad answers to POST /pins: %v", err)
	}
	srv.FailNext(plextvtest.RouteCreatePin, 3, badAnswers["truncated JSON"])
	before := srv.Count(plextvtest.RouteCreatePin)
	_, err := l.Link(context.Background())
	if !errors.Is(err, auth.ErrBadResponse) || !strings.Contains(err.Error(), "getting a PIN code") {
		t.Fatalf("want the bad answer after two retries, got %v", err)
	}
	if n := srv.Count(plextvtest.RouteCreatePin) - before; n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestLinkRenewsExpiredCode(t *testing.T) {
	srv := newServer(t, plextvtest.WithPinTTL(200*time.Millisecond))
	rec := &events{}
	l := linker(t, srv, rec, auth.StateRenewed)
	res, err := l.Link(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	renewed := rec.with(auth.StateRenewed)
	first := rec.all()[0]
	if len(renewed) != 1 || renewed[0].Code == first.Code || renewed[0].LinkURL != srv.LinkURL+"/?pin="+renewed[0].Code {
		t.Fatalf("Renewed: %+v after %q", renewed, first.Code)
	}
	if srv.Count(plextvtest.RouteCreatePin) != 2 || res.Token.IsZero() {
		t.Fatalf("%d codes created", srv.Count(plextvtest.RouteCreatePin))
	}
}

func TestLinkGivesUpAfterMaxRenewals(t *testing.T) {
	srv := newServer(t, plextvtest.WithPinTTL(150*time.Millisecond))
	rec := &events{}
	l := linker(t, srv, rec)
	l.MaxRenewals = 2
	_, err := l.Link(context.Background())
	if !errors.Is(err, auth.ErrPinExpired) {
		t.Fatalf("want ErrPinExpired, got %v", err)
	}
	if n := len(rec.with(auth.StateRenewed)); n != 2 || srv.Count(plextvtest.RouteCreatePin) != 3 {
		t.Fatalf("%d renewals, %d codes", n, srv.Count(plextvtest.RouteCreatePin))
	}
	if last := rec.all()[len(rec.all())-1]; last.State != auth.StateFailed || !errors.Is(last.Err, auth.ErrPinExpired) {
		t.Fatalf("last event %+v", last)
	}
}

// offsetClock is the fake's clock: real time plus an offset the test moves.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time         { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) set(d time.Duration)    { c.off.Store(int64(d)) }
func (c *offsetClock) opt() plextvtest.Option { return plextvtest.WithClock(c.now) }

// One source reports plex.tv answering 200 (expiresIn 0) for an expired pin.
func TestLinkRenewsOnExpired200(t *testing.T) {
	clk := &offsetClock{}
	srv := newServer(t, clk.opt(), plextvtest.WithExpiredPinsAnswered())
	rec := &events{}
	l := linker(t, srv, rec, auth.StateRenewed)
	rec.hook = func(prev func(auth.Event)) func(auth.Event) {
		return func(ev auth.Event) {
			if ev.State == auth.StateWaiting {
				clk.set(16 * time.Minute) // the server's code is now past expiresAt
			}
			prev(ev)
		}
	}(rec.hook)
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.with(auth.StateRenewed)); n != 1 {
		t.Fatalf("%d renewals, want 1", n)
	}
}

// The deadline is local time plus expiresIn, whatever the server's clock says.
func TestLinkIgnoresServerClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-time.Hour, time.Hour} {
		clk := &offsetClock{}
		clk.set(skew)
		srv := newServer(t, clk.opt())
		rec := &events{}
		l := linker(t, srv, rec, auth.StateWaiting)
		if _, err := l.Link(context.Background()); err != nil {
			t.Fatalf("skew %v: %v", skew, err)
		}
		if d := time.Until(rec.all()[0].ExpiresAt); d < 890*time.Second || d > 900*time.Second {
			t.Fatalf("skew %v: ExpiresAt %v away, want ≈900s", skew, d)
		}
	}
}

// fastClock runs the Linker's time 1000× faster than real time; the fake keeps real time,
// so its codes stay alive and only the local deadline can end them.
type fastClock struct{ start time.Time }

const speedup = 1000

func (c fastClock) Now() time.Time { return c.start.Add(time.Since(c.start) * speedup) }
func (c fastClock) After(d time.Duration) <-chan time.Time {
	return time.After(d / speedup)
}

func TestLinkLocalDeadline(t *testing.T) {
	srv := newServer(t) // 900 s codes: 0.9 s of real time at 1000×
	rec := &events{}
	l := linker(t, srv, rec)
	l.Clock = fastClock{start: time.Now()}
	l.PollInterval = 10 * time.Second
	l.MaxRenewals = -1
	start := time.Now()
	_, err := l.Link(context.Background())
	if !errors.Is(err, auth.ErrPinExpired) {
		t.Fatalf("want ErrPinExpired, got %v", err)
	}
	if d := time.Since(start); d < 850*time.Millisecond || d > 3*time.Second {
		t.Fatalf("gave up after %v real (%v scaled), want ≈900s scaled", d, d*speedup)
	}
	if n := srv.Count(plextvtest.RouteCreatePin); n != 1 {
		t.Fatalf("%d codes created, want 1 (no renewals)", n)
	}
}

func TestLinkHungRequestsCannotStretchDeadline(t *testing.T) {
	srv := newServer(t, plextvtest.WithPinTTL(time.Second))
	l := linker(t, srv, &events{})
	l.Client.RequestTimeout = 30 * time.Second
	l.MaxRenewals = -1
	srv.FailNext(plextvtest.RoutePin, 1000, plextvtest.Fault{Hang: true})
	start := time.Now()
	_, err := l.Link(context.Background())
	if !errors.Is(err, auth.ErrPinExpired) {
		t.Fatalf("want ErrPinExpired, got %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("took %v for a 1s code", d)
	}
}

func TestLinkValidation(t *testing.T) {
	t.Run("401 is final", func(t *testing.T) {
		srv := newServer(t)
		rec := &events{}
		l := linker(t, srv, rec, auth.StatePinReady)
		srv.FailNext(plextvtest.RouteUser, 1, plextvtest.Fault{Status: 401,
			Body: `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`})
		_, err := l.Link(context.Background())
		if !errors.Is(err, auth.ErrUnauthorized) || srv.Count(plextvtest.RouteUser) != 1 {
			t.Fatalf("want ErrUnauthorized after one try, got %v (%d tries)", err, srv.Count(plextvtest.RouteUser))
		}
		if len(rec.with(auth.StateFailed)) != 1 {
			t.Fatalf("states %v", rec.states())
		}
	})
	t.Run("transient errors are retried", func(t *testing.T) {
		srv := newServer(t)
		rec := &events{}
		l := linker(t, srv, rec, auth.StatePinReady)
		srv.FailNext(plextvtest.RouteUser, 2, plextvtest.Fault{Status: 503})
		if _, err := l.Link(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := []auth.State{auth.StatePinReady, auth.StateWaiting, auth.StateValidating,
			auth.StateRetrying, auth.StateRetrying, auth.StateLinked}
		if got := rec.states(); !slices.Equal(got, want) {
			t.Fatalf("states %v, want %v", got, want)
		}
	})
	t.Run("gives up at the deadline", func(t *testing.T) {
		srv := newServer(t, plextvtest.WithPinTTL(time.Second))
		l := linker(t, srv, &events{}, auth.StatePinReady)
		srv.FailNext(plextvtest.RouteUser, 1000, plextvtest.Fault{Status: 503})
		start := time.Now()
		_, err := l.Link(context.Background())
		var ae *auth.APIError
		if !errors.As(err, &ae) || ae.Status != 503 || !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("want the 503 at the deadline, got %v", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("took %v", d)
		}
	})
}

func TestLinkCreatePinRetries(t *testing.T) {
	srv := newServer(t)
	rec := &events{}
	l := linker(t, srv, rec, auth.StatePinReady)
	srv.FailNext(plextvtest.RouteCreatePin, 2, plextvtest.Fault{Status: 502})
	if _, err := l.Link(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(plextvtest.RouteCreatePin, 10, plextvtest.Fault{Status: 502})
	before := srv.Count(plextvtest.RouteCreatePin)
	if _, err := l.Link(context.Background()); err == nil || !auth.IsTransient(err) {
		t.Fatalf("want the 502 after the retries, got %v", err)
	}
	if n := srv.Count(plextvtest.RouteCreatePin) - before; n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestLinkCancelNoLeaks(t *testing.T) {
	for name, fault := range map[string]*plextvtest.Fault{
		"while waiting":     nil,
		"during a request":  {Hang: true},
		"during a slow one": {Delay: time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			srv := plextvtest.NewServer()
			if fault != nil {
				srv.FailNext(plextvtest.RoutePin, 1000, *fault)
			}
			ctx, cancel := context.WithCancel(context.Background())
			rec := &events{}
			var once sync.Once
			l := linker(t, srv, rec)
			l.OpenURL = func(string) error { return nil }
			rec.hook = func(ev auth.Event) {
				if ev.State == auth.StateWaiting {
					once.Do(func() { time.AfterFunc(100*time.Millisecond, cancel) })
				}
			}
			start := time.Now()
			_, err := l.Link(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("want context.Canceled, got %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("returned %v after cancel", d)
			}
			if last := rec.all()[len(rec.all())-1]; last.State != auth.StateFailed || !errors.Is(last.Err, context.Canceled) {
				t.Fatalf("last event %+v", last)
			}
			srv.Close()
			cancel()
			goleak.VerifyNone(t, before)
		})
	}
}

// A Retry-After over a minute, or past the code's deadline, is not slept through: Link
// ends at once and says when to try again (plexlink link used to sleep for 24 hours).
func TestLinkGivesUpOnLongRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route string
		after string
		ttl   time.Duration
		want  string
	}{
		{"POST /pins, a day", plextvtest.RouteCreatePin, "86400", 0, "try again in about 24 hours"},
		{"poll, 61 s", plextvtest.RoutePin, "61", 0, "try again in about 2 minutes"},
		{"poll, past the code's deadline", plextvtest.RoutePin, "30", 2 * time.Second, "try again in about 1 minute"},
		{"validation, an hour", plextvtest.RouteUser, "3600", 0, "try again in about 60 minutes"},
		{"poll, an HTTP date", plextvtest.RoutePin, time.Now().Add(3 * time.Hour).UTC().Format(http.TimeFormat), 0, "try again in about 3 hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []plextvtest.Option
			if tc.ttl > 0 {
				opts = append(opts, plextvtest.WithPinTTL(tc.ttl))
			}
			srv := newServer(t, opts...)
			rec := &events{}
			approveOn := []auth.State{}
			if tc.route == plextvtest.RouteUser {
				approveOn = append(approveOn, auth.StatePinReady)
			}
			l := linker(t, srv, rec, approveOn...)
			if tc.ttl == 0 {
				l.Clock = fastClock{start: time.Now()} // a wait that slipped through would end, in 1/1000 of it
			}
			srv.FailNext(tc.route, 1, plextvtest.Fault{Status: 429, RetryAfter: tc.after})
			start := time.Now()
			_, err := l.Link(context.Background())
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			var later *auth.RetryLaterError
			if !errors.Is(err, auth.ErrRateLimited) || !errors.As(err, &later) {
				t.Fatalf("want a RetryLaterError (ErrRateLimited), got %v", err)
			}
			if msg := err.Error(); msg != "plex.tv is rate-limiting this computer; "+tc.want {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			if n := srv.Count(tc.route); n != 1 {
				t.Errorf("%d requests to %s after the 429, want 1", n, tc.route)
			}
			if r := rec.with(auth.StateRetrying); len(r) != 0 {
				t.Errorf("Retrying events %+v: nothing is retried", r)
			}
			if f := rec.with(auth.StateFailed); len(f) != 1 || f[0].Err != err {
				t.Errorf("Failed events %+v", f)
			}
		})
	}
}

// Up to a minute, and within the code's deadline, Retry-After is waited out as before.
func TestLinkWaitsOutShortRetryAfter(t *testing.T) {
	for _, route := range []string{plextvtest.RouteCreatePin, plextvtest.RoutePin, plextvtest.RouteUser} {
		t.Run(route, func(t *testing.T) {
			srv := newServer(t)
			rec := &events{}
			l := linker(t, srv, rec, auth.StatePinReady)
			l.Clock = fastClock{start: time.Now()}
			srv.FailNext(route, 1, plextvtest.Fault{Status: 429, RetryAfter: "60"})
			if _, err := l.Link(context.Background()); err != nil {
				t.Fatal(err)
			}
			if r := rec.with(auth.StateRetrying); len(r) != 1 || r[0].RetryIn != time.Minute {
				t.Fatalf("Retrying events %+v, want one of 60 s", r)
			}
		})
	}
}
