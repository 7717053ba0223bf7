package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is a step of Linker.Link, reported through Linker.OnEvent.
type State int

const (
	StatePinReady      State = iota + 1 // a code exists: show Code/LinkURL/ExpiresAt
	StateWaiting                        // polling for the user's approval
	StateRetrying                       // a transient failure; next try in RetryIn (Err says why)
	StateRenewed                        // the code expired and was replaced by a fresh one
	StateBrowserFailed                  // OpenURL failed (Err); the user can still open LinkURL by hand
	StateValidating                     // a token arrived and is being checked with GET /user
	StateLinked                         // done: Account is set
	StateFailed                         // Link is returning Err
)

var stateNames = map[State]string{
	StatePinReady: "pin-ready", StateWaiting: "waiting", StateRetrying: "retrying",
	StateRenewed: "renewed", StateBrowserFailed: "browser-failed", StateValidating: "validating",
	StateLinked: "linked", StateFailed: "failed",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Event is one report from Link. Code, LinkURL and ExpiresAt always describe the current code.
type Event struct {
	State     State
	Code      string
	LinkURL   string
	ExpiresAt time.Time // local-clock deadline of the current code
	Err       error
	RetryIn   time.Duration
	Account   *Account
}

// Clock lets tests control time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Linker runs the PIN flow, modelled on the GitHub CLI's device flow (cli/oauth): get a
// code, show it and open the browser, poll until approved, then validate the token.
type Linker struct {
	Client       *Client
	Strong       bool
	PollInterval time.Duration // 0 → 1s (plex.tv asks for at most one check per second)
	MaxRenewals  int           // 0 → 3 fresh codes after the first expires; <0 → none
	MaxBackoff   time.Duration // 0 → 30s
	// OpenURL opens the link page; nil → no browser. It runs on its own goroutine and Link
	// does not wait for it: an opener that blocks (pkg/browser waits for xdg-open) keeps
	// that goroutine alive until it returns, after Link if need be, so an opener must
	// return eventually. Its error is reported as StateBrowserFailed while Link runs.
	OpenURL func(url string) error
	// OnEvent is called synchronously from Link's goroutine, so it must not block.
	OnEvent func(Event)
	Clock   Clock // nil → real time
}

// Result is a token that GET /user accepted, and its account.
type Result struct {
	Token   Token
	Account Account
}

const (
	defaultPollInterval = time.Second
	defaultMaxRenewals  = 3
	defaultMaxBackoff   = 30 * time.Second
	// createAttempts bounds POST /pins tries (the first and two retries): there is no
	// code, hence no deadline, yet.
	createAttempts = 3
	// maxRetryAfter is the longest Retry-After a link waits out; a longer one (or one
	// reaching past the code's deadline) ends it with a *RetryLaterError.
	maxRetryAfter = 60 * time.Second
	// maxBadAnswers undecodable answers in a row end a link: one is a captive portal or a
	// CDN page between two good answers; five mean something else answers for plex.tv.
	maxBadAnswers = 5
)

// Link returns a validated token. It fails with ErrPinExpired when every code expired,
// ErrUnauthorized when plex.tv rejects the token it just issued, a *RetryLaterError
// (ErrRateLimited) when plex.tv asks to wait over a minute or past the code's deadline, a context error on
// cancellation (errors.Is(err, context.Canceled)), or the error that stopped it.
// StateFailed is reported before every error return.
//
// Deadline: each code's deadline is the local time at which POST /pins answered plus the
// server's expiresIn. expiresAt is an absolute time on plex.tv's clock; a local clock
// that is minutes off would make the code look expired at once or keep polling a dead
// one, while expiresIn is a duration and is immune to skew. expiresAt is only used when
// expiresIn is absent (as expiresAt-createdAt, both on the server's clock). A later
// answer can shorten the deadline, never stretch it, and each request's context ends at
// the deadline, so request timeouts cannot stretch it either.
func (l *Linker) Link(ctx context.Context) (*Result, error) {
	s := &linkRun{Linker: l, clock: l.Clock, browserErr: make(chan error, 1)}
	if s.clock == nil {
		s.clock = realClock{}
	}
	res, err := s.run(ctx)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		s.emit(Event{State: StateFailed, Err: err})
	}
	return res, err
}

type linkRun struct {
	*Linker
	clock      Clock
	pin        *Pin
	linkURL    string
	deadline   time.Time
	failures   int // consecutive transient failures, for the backoff
	bad        int // consecutive undecodable answers, see maxBadAnswers
	browserErr chan error
}

func (s *linkRun) emit(ev Event) {
	if s.OnEvent == nil {
		return
	}
	if s.pin != nil {
		ev.Code, ev.LinkURL, ev.ExpiresAt = s.pin.Code, s.linkURL, s.deadline
	}
	s.OnEvent(ev)
}

func (s *linkRun) run(ctx context.Context) (*Result, error) {
	if s.Client == nil {
		return nil, errors.New("auth: Linker.Client is nil")
	}
	if err := s.newPin(ctx); err != nil {
		return nil, err
	}
	s.emit(Event{State: StatePinReady})
	s.openBrowser()
	s.emit(Event{State: StateWaiting})

	renewals, maxRenewals := 0, s.MaxRenewals
	if maxRenewals == 0 {
		maxRenewals = defaultMaxRenewals
	}
	wait := s.interval()
	for {
		if err := s.sleep(ctx, wait, true); err != nil && !errors.Is(err, errPastDeadline) {
			return nil, err
		}
		wait = s.interval()
		var p *Pin
		err := errPastDeadline
		if !s.expired() {
			p, err = s.pollOnce(ctx)
		}
		if ferr := s.tolerate(err); ferr != nil {
			return nil, ferr
		}
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == nil && p.AuthToken != "":
			return s.validate(ctx, p.AuthToken)
		case err == nil:
			s.failures = 0
			continue
		case errors.Is(err, ErrPinExpired) || errors.Is(err, errPastDeadline):
			if renewals >= maxRenewals {
				return nil, fmt.Errorf("%w: no code was approved in time (%d fresh codes used)", ErrPinExpired, renewals)
			}
			renewals++
			if err := s.newPin(ctx); err != nil {
				return nil, err
			}
			s.emit(Event{State: StateRenewed})
		case IsTransient(err):
			if wait, err = s.backoff(err, true); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
}

var errPastDeadline = errors.New("the code's deadline has passed")

// pollOnce fetches the pin and turns "200 but expired" into errPastDeadline.
func (s *linkRun) pollOnce(ctx context.Context) (*Pin, error) {
	rctx, cancel := s.untilDeadline(ctx)
	defer cancel()
	received := s.clock.Now()
	p, err := s.Client.Pin(rctx, s.pin.ID)
	if err != nil {
		if s.expired() {
			return nil, errPastDeadline
		}
		return nil, err
	}
	if p.AuthToken != "" {
		return p, nil
	}
	if p.expiresInSet {
		if p.ExpiresIn <= 0 {
			return nil, errPastDeadline // one source reports 200s for expired pins
		}
		if d := received.Add(time.Duration(p.ExpiresIn) * time.Second); d.Before(s.deadline) {
			s.deadline = d
		}
	}
	return p, nil
}

// newPin creates a code, retrying transient failures a few times.
func (s *linkRun) newPin(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		before := s.clock.Now()
		p, err := s.Client.CreatePin(ctx, s.Strong)
		if err == nil {
			s.failures = 0
			s.pin, s.linkURL, s.deadline = p, s.Client.LinkURL(p), pinDeadline(p, before, s.Strong)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !IsTransient(err) || attempt >= createAttempts {
			return fmt.Errorf("getting a PIN code: %w", err)
		}
		// Unbounded: during a renewal the old code's deadline has passed already.
		wait, err := s.backoff(err, false)
		if err != nil {
			return err
		}
		if err := s.sleep(ctx, wait, false); err != nil {
			return err
		}
	}
}

// pinDeadline: see Link. The local time taken *before* the request makes the deadline
// err on the early side by the request's latency.
func pinDeadline(p *Pin, sent time.Time, strong bool) time.Time {
	switch {
	case p.expiresInSet && p.ExpiresIn > 0:
		return sent.Add(time.Duration(p.ExpiresIn) * time.Second)
	case !p.CreatedAt.IsZero() && p.ExpiresAt.After(p.CreatedAt):
		return sent.Add(p.ExpiresAt.Sub(p.CreatedAt))
	case strong:
		return sent.Add(30 * time.Minute)
	default:
		return sent.Add(15 * time.Minute)
	}
}

func (s *linkRun) validate(ctx context.Context, tok Token) (*Result, error) {
	s.failures, s.bad = 0, 0
	s.emit(Event{State: StateValidating})
	for {
		rctx, cancel := s.untilDeadline(ctx)
		acct, err := s.Client.User(rctx, tok)
		cancel()
		if ferr := s.tolerate(err); ferr != nil {
			return nil, fmt.Errorf("validating the new token: %w", ferr)
		}
		switch {
		case err == nil:
			s.emit(Event{State: StateLinked, Account: acct})
			return &Result{Token: tok, Account: *acct}, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrUnauthorized):
			return nil, fmt.Errorf("plex.tv rejected the new token: %w", err)
		case !IsTransient(err):
			return nil, fmt.Errorf("validating the new token: %w", err)
		}
		wait, lerr := s.backoff(err, true)
		if lerr != nil {
			return nil, lerr
		}
		if serr := s.sleep(ctx, wait, true); serr != nil {
			if errors.Is(serr, errPastDeadline) {
				return nil, fmt.Errorf("validating the new token: gave up at the code's deadline: %w", err)
			}
			return nil, serr
		}
	}
}

// tolerate counts undecodable answers in a row (any other outcome resets the count) and
// returns the error that ends the link once there are maxBadAnswers of them.
func (s *linkRun) tolerate(err error) error {
	if !errors.Is(err, ErrBadResponse) {
		s.bad = 0
		return nil
	}
	if s.bad++; s.bad < maxBadAnswers {
		return nil
	}
	return fmt.Errorf("%d undecodable answers in a row, the last: %w", s.bad, err)
}

// backoff reports StateRetrying and returns how long to wait: Retry-After when the
// server gave one, else PollInterval doubled per consecutive failure up to MaxBackoff. A
// Retry-After over maxRetryAfter, or (bounded) past the code's deadline, is not waited
// out: backoff returns a *RetryLaterError instead.
func (s *linkRun) backoff(err error, bounded bool) (time.Duration, error) {
	s.failures++
	maxB := s.MaxBackoff
	if maxB <= 0 {
		maxB = defaultMaxBackoff
	}
	d := s.interval()
	for i := 1; i < s.failures && d < maxB; i++ {
		d *= 2
	}
	d = min(d, maxB)
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		if rl.RetryAfter > maxRetryAfter || bounded && s.clock.Now().Add(rl.RetryAfter).After(s.deadline) {
			return 0, &RetryLaterError{Wait: rl.RetryAfter, Err: rl}
		}
		d = rl.RetryAfter
	}
	s.emit(Event{State: StateRetrying, Err: err, RetryIn: d})
	return d, nil
}

func (s *linkRun) interval() time.Duration {
	if s.PollInterval > 0 {
		return s.PollInterval
	}
	return defaultPollInterval
}

func (s *linkRun) expired() bool { return !s.clock.Now().Before(s.deadline) }

// untilDeadline bounds a request by the code's deadline (in real time: contexts do not
// know about Clock).
func (s *linkRun) untilDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, max(s.deadline.Sub(s.clock.Now()), time.Millisecond))
}

// sleep waits d, cut short by ctx or, when bounded, the code's deadline (errPastDeadline),
// and reports browser failures as they arrive.
func (s *linkRun) sleep(ctx context.Context, d time.Duration, bounded bool) error {
	if bounded {
		left := s.deadline.Sub(s.clock.Now())
		if left <= 0 {
			return errPastDeadline
		}
		d = min(d, left)
	}
	timer := s.clock.After(d)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-s.browserErr:
			s.emit(Event{State: StateBrowserFailed, Err: err})
		case <-timer:
			if bounded && s.expired() {
				return errPastDeadline
			}
			return nil
		}
	}
}

// openBrowser starts OpenURL and returns at once; see Linker.OpenURL.
func (s *linkRun) openBrowser() {
	if s.OpenURL == nil {
		return
	}
	target := s.linkURL
	if err := CheckURL(target); err != nil {
		s.browserErr <- fmt.Errorf("not opening the link page: %w", err)
		return
	}
	open, errs := s.OpenURL, s.browserErr
	go func() {
		if err := open(target); err != nil {
			errs <- fmt.Errorf("opening the browser: %w", err) // buffered: never blocks
		}
	}()
}
