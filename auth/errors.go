package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

var (
	// ErrPinExpired: the PIN is unknown or expired (HTTP 404 / plex.tv code 1020), or the
	// linker used up its fresh codes.
	ErrPinExpired = errors.New("PIN code not found or expired")
	// ErrUnauthorized: the token is not (or no longer) valid (HTTP 401 / code 1001, or 422
	// "invalid token"). Only this error means "relink needed".
	ErrUnauthorized = errors.New("plex.tv rejected the token (unauthorized)")
	// ErrRateLimited: HTTP 429; the error is a *RateLimitError carrying Retry-After.
	ErrRateLimited = errors.New("rate limited by plex.tv")
	// ErrBadResponse: a 2xx answer that is not the JSON we expect (not JSON, wrong field
	// types, missing id, larger than the 1 MiB cap). It is transient: a captive portal, a
	// proxy or a CDN error page answers now and then in plex.tv's place, and the next
	// answer is usually good. The error is a *BadResponseError saying what was sent.
	ErrBadResponse = errors.New("unexpected response from plex.tv")
)

const (
	codeMissingClientID = 1000
	codeUnauthorized    = 1001
	codePinNotFound     = 1020
)

// ErrorItem is one entry of plex.tv's {"errors":[…]} body. Status is sometimes absent (0).
type ErrorItem struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// APIError is a 4xx/5xx answer that carried plex.tv's JSON error body.
type APIError struct {
	Status int
	Errors []ErrorItem
}

func (e *APIError) Error() string {
	parts := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		parts = append(parts, fmt.Sprintf("%s (code %d)", it.Message, it.Code))
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.Join(parts, "; "))
}

func (e *APIError) hasCode(code int) bool {
	for _, it := range e.Errors {
		if it.Code == code {
			return true
		}
	}
	return false
}

func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPinExpired:
		return e.Status == http.StatusNotFound || e.hasCode(codePinNotFound)
	case ErrUnauthorized:
		if e.Status == http.StatusUnauthorized || e.hasCode(codeUnauthorized) {
			return true
		}
		if e.Status == http.StatusUnprocessableEntity {
			for _, it := range e.Errors {
				if strings.Contains(strings.ToLower(it.Message), "invalid token") {
					return true
				}
			}
		}
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// StatusError is an unexpected HTTP status without a JSON error body (an HTML error
// page, a proxy, a redirect that was not followed).
type StatusError struct {
	Status int
	Body   string // at most 200 printable characters, token scrubbed
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrPinExpired:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// BadResponseError is a 2xx answer that could not be decoded, with what plex.tv (or
// whatever answered in its place) sent, so the user can tell a captive portal from a bug.
type BadResponseError struct {
	Status      int
	ContentType string
	Head        string // the first bytes, printable, with anything token-like redacted
	Reason      error  // what was wrong; wraps ErrBadResponse
}

func (e *BadResponseError) Error() string {
	ctype := e.ContentType
	if ctype == "" {
		ctype = "no Content-Type"
	}
	return fmt.Sprintf("%v (HTTP %d, %s, body starts %q)", e.Reason, e.Status, ctype, e.Head)
}

func (e *BadResponseError) Unwrap() error { return e.Reason }

// secretLike matches what could be a secret in a body we quote: a JSON token field's value
// (even cut off) and any long unbroken run of token characters with a digit in it
// (plex.tv tokens are 20 characters); runs without a digit are words (JSON keys, HTML).
var secretLike = regexp.MustCompile(`(?i)("[a-z]*token"\s*:\s*")[^"]*|[A-Za-z0-9_\-]{16,}`)

// bodyHead quotes the start of a body for an error message: token-like parts are redacted
// over a longer prefix first, so a token cut at the quoting limit cannot leak in part.
func bodyHead(body []byte, tok Token) string {
	s := strings.ToValidUTF8(string(body[:min(len(body), 512)]), "?")
	s = secretLike.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, `"`) {
			return m[:strings.LastIndex(m, `"`)+1] + redacted
		}
		if !strings.ContainsAny(m, "0123456789") {
			return m
		}
		return redacted
	})
	s = sanitize(s, tok)
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

// RateLimitError is HTTP 429. RetryAfter is 0 when the server did not say.
// Err is the underlying *APIError or *StatusError.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	msg := "rate limited by plex.tv"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }
func (e *RateLimitError) Unwrap() error        { return e.Err }

// RetryLaterError ends a link when plex.tv's Retry-After is too long to wait out (see
// Linker): the user is told when to try again instead of a command that sleeps for hours.
// errors.Is(err, ErrRateLimited) holds; Err is the 429 that said so.
type RetryLaterError struct {
	Wait time.Duration
	Err  *RateLimitError
}

func (e *RetryLaterError) Error() string {
	return "plex.tv is rate-limiting this computer; try again in about " + roughly(e.Wait)
}

func (e *RetryLaterError) Unwrap() error { return e.Err }

// roughly says d rounded up: minutes up to 120 of them, then hours.
func roughly(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	switch {
	case mins <= 1:
		return "1 minute"
	case mins <= 120:
		return fmt.Sprintf("%d minutes", mins)
	default:
		return fmt.Sprintf("%d hours", (mins+59)/60)
	}
}

// IsTransient reports whether trying again later may succeed: 5xx, 408, 429, undecodable
// answers, timeouts and connection-level failures. Cancellation by the caller is not
// transient. Callers that retry bound how many undecodable answers they accept in a row.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return transientStatus(ae.Status)
	}
	var se *StatusError
	if errors.As(err, &se) {
		return transientStatus(se.Status)
	}
	if errors.Is(err, ErrRateLimited) || errors.Is(err, ErrBadResponse) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

func transientStatus(s int) bool {
	return s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date. An HTTP date is
// measured against the response's own Date header when present, so a skewed local clock
// does not turn "in 30 s" into "in an hour" or "already passed".
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return max(at.Sub(now), 0)
}

// sanitize keeps error text short, printable and free of the token it may echo.
func sanitize(s string, tok Token) string {
	if tok != "" {
		s = strings.ReplaceAll(s, tok.Reveal(), redacted)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
