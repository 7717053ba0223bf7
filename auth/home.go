package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// HomeUser is one member of a Plex Home (GET /home/users). Managed users have a Title and
// no Username. It carries no token: SwitchHomeUser mints one.
type HomeUser struct {
	ID         int64
	UUID       string
	Title      string
	Username   string
	Admin      bool // the Home's administrator
	Restricted bool // a managed user
	Protected  bool // switching to this user needs their Home PIN
}

var (
	// ErrHomePINRequired: switching needs the user's Home PIN and it was missing or wrong
	// (plex.tv code 1041, HTTP 403).
	ErrHomePINRequired = errors.New("a valid Plex Home PIN is required")
	// ErrNoSuchHomeUser: the uuid names nobody in the token's Home (HTTP 404).
	ErrNoSuchHomeUser = errors.New("no such Plex Home user")
)

const codeHomePIN = 1041

// HomeUsers lists the members of the token's Plex Home (GET /home/users). plex.tv's JSON
// is known only from captures of Plex Web ({"id", "name", "users": [...]}); a bare array is
// accepted too, and each field is read leniently (numbers or strings, 0/1 or booleans).
func (c *Client) HomeUsers(ctx context.Context, tok Token) ([]HomeUser, error) {
	if tok == "" {
		return nil, fmt.Errorf("plex.tv GET /home/users: no token: %w", ErrUnauthorized)
	}
	r, err := c.do(ctx, http.MethodGet, "/home/users", tok, nil)
	if err != nil {
		return nil, err
	}
	users, err := decodeHomeUsers(r.body)
	if err != nil {
		return nil, r.bad(err)
	}
	return users, nil
}

// SwitchHomeUser returns a new token of the Home user uuid (POST /home/users/{uuid}/switch),
// sending pin only when it is not empty. The PIN goes in the query string, as Plex Web and
// python-plexapi send it; errors never include it. ErrHomePINRequired and
// ErrNoSuchHomeUser are reported with errors.Is; ErrUnauthorized means tok itself is dead.
func (c *Client) SwitchHomeUser(ctx context.Context, tok Token, uuid, pin string) (Token, error) {
	route := "plex.tv POST /home/users/{uuid}/switch"
	if tok == "" {
		return "", fmt.Errorf("%s: no token: %w", route, ErrUnauthorized)
	}
	if uuid == "" {
		return "", fmt.Errorf("%s: no user uuid: %w", route, ErrNoSuchHomeUser)
	}
	path := "/home/users/" + url.PathEscape(uuid) + "/switch"
	sent := path
	if pin != "" {
		sent += "?" + url.Values{"pin": {pin}}.Encode()
	}
	r, err := c.do(ctx, http.MethodPost, sent, tok, nil)
	if err != nil {
		return "", homeError(err, "plex.tv POST "+path, pin)
	}
	var w struct {
		AuthToken           *string `json:"authToken"`
		AuthenticationToken *string `json:"authenticationToken"` // the v1 name
	}
	if err := decodeJSON(r.body, "switch", &w); err != nil {
		return "", r.bad(err)
	}
	for _, t := range []*string{w.AuthToken, w.AuthenticationToken} {
		if t != nil && *t != "" {
			return Token(*t), nil
		}
	}
	return "", r.bad(fmt.Errorf("%w: switch answer without authToken", ErrBadResponse))
}

// HomeError is a refused switch: ErrHomePINRequired or ErrNoSuchHomeUser, with plex.tv's
// answer (an *APIError or *StatusError) kept for errors.As. Is matches only the sentinel,
// so a 404 here is not mistaken for ErrPinExpired.
type HomeError struct {
	Kind error // ErrHomePINRequired or ErrNoSuchHomeUser
	Err  error // the whole error as do returned it
}

func (e *HomeError) Error() string        { return e.Kind.Error() + " (" + e.Err.Error() + ")" }
func (e *HomeError) Is(target error) bool { return target == e.Kind }
func (e *HomeError) As(target any) bool   { return errors.As(e.Err, target) }

// homeError maps a refused switch to the Home sentinels. plex.tv's message or an error
// page may echo the PIN: it is scrubbed, and the error rebuilt so its text is the scrubbed one.
func homeError(err error, route, pin string) error {
	status, pinCode := 0, false
	var inner error
	var ae *APIError
	var se *StatusError
	switch {
	case errors.As(err, &ae):
		status, pinCode, inner = ae.Status, ae.hasCode(codeHomePIN), ae
		for i := range ae.Errors {
			ae.Errors[i].Message = scrubPIN(ae.Errors[i].Message, pin)
		}
	case errors.As(err, &se):
		status, inner = se.Status, se
		se.Body = scrubPIN(se.Body, pin)
	default:
		return err // no answer from plex.tv: nothing that could echo the PIN
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		inner = rl
	}
	err = fmt.Errorf("%s: %w", route, inner)
	switch {
	case pinCode || (status == http.StatusForbidden && ae == nil):
		return &HomeError{Kind: ErrHomePINRequired, Err: err}
	case status == http.StatusNotFound:
		return &HomeError{Kind: ErrNoSuchHomeUser, Err: err}
	}
	return err
}

func scrubPIN(s, pin string) string {
	if pin == "" {
		return s
	}
	return strings.ReplaceAll(s, pin, redacted)
}

func decodeHomeUsers(body []byte) ([]HomeUser, error) {
	var raw json.RawMessage
	if err := decodeJSON(body, "home users", &raw); err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		var home struct {
			Users *[]json.RawMessage `json:"users"`
		}
		if json.Unmarshal(raw, &home) != nil || home.Users == nil {
			return nil, fmt.Errorf("%w: home users response has no users list", ErrBadResponse)
		}
		list = *home.Users
	}
	out := make([]HomeUser, 0, len(list))
	for i, item := range list {
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) != nil || m == nil {
			return nil, fmt.Errorf("%w: home user %d is not an object", ErrBadResponse, i)
		}
		u := HomeUser{
			ID: lenientInt(m["id"]), UUID: lenientString(m["uuid"]), Title: lenientString(m["title"]),
			Username: lenientString(m["username"]), Admin: lenientBool(m["admin"]),
			Restricted: lenientBool(m["restricted"]), Protected: lenientBool(m["protected"]),
		}
		if u.UUID == "" {
			return nil, fmt.Errorf("%w: home user %d has no uuid", ErrBadResponse, i)
		}
		out = append(out, u)
	}
	return out, nil
}

// lenientString reads a JSON string or number; anything else is "".
func lenientString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func lenientInt(raw json.RawMessage) int64 {
	n, _ := strconv.ParseInt(lenientString(raw), 10, 64)
	return n
}

// lenientBool reads true/false, 1/0 and their string forms; anything else is false.
func lenientBool(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	b, _ = strconv.ParseBool(lenientString(raw))
	return b
}
