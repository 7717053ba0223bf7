package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// pinJSON is the wire form. encoding/json ignores unknown fields; location is decoded
// by hand because plex.tv sends it partial, absent, or with numbers where strings belong.
type pinJSON struct {
	ID               int64           `json:"id"`
	Code             string          `json:"code"`
	Product          string          `json:"product"`
	Trusted          bool            `json:"trusted"`
	QR               string          `json:"qr"`
	ClientIdentifier string          `json:"clientIdentifier"`
	Location         json.RawMessage `json:"location"`
	ExpiresIn        *int            `json:"expiresIn"`
	CreatedAt        time.Time       `json:"createdAt"`
	ExpiresAt        time.Time       `json:"expiresAt"`
	AuthToken        *string         `json:"authToken"`
	NewRegistration  *bool           `json:"newRegistration"`
}

type accountJSON struct {
	ID       int64  `json:"id"`
	UUID     string `json:"uuid"`
	Username string `json:"username"`
	Title    string `json:"title"`
	Email    string `json:"email"`
	Thumb    string `json:"thumb"`
}

type errorBodyJSON struct {
	Errors []ErrorItem `json:"errors"`
}

// decodeJSON wraps every failure in ErrBadResponse with a message that says what was
// wrong (never the body itself, which may hold a token).
func decodeJSON(body []byte, what string, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: empty %s response", ErrBadResponse, what)
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%w: %s response is not valid JSON (offset %d)", ErrBadResponse, what, syn.Offset)
	case errors.As(err, &typ):
		// Value is "number 1234…" for numbers: keep the kind, never the sent value (an
		// authToken sent as a number would otherwise end up in logs).
		kind, _, _ := strings.Cut(typ.Value, " ")
		return fmt.Errorf("%w: %s field %q has the wrong type (JSON %s, want %s)",
			ErrBadResponse, what, typ.Field, kind, typ.Type)
	default:
		var te *time.ParseError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: %s has an invalid timestamp", ErrBadResponse, what)
		}
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, what, err)
	}
}

func decodePin(body []byte) (*Pin, error) {
	var w pinJSON
	if err := decodeJSON(body, "pin", &w); err != nil {
		return nil, err
	}
	if w.ID == 0 || w.Code == "" {
		return nil, fmt.Errorf("%w: pin without id or code", ErrBadResponse)
	}
	p := &Pin{
		ID: w.ID, Code: w.Code, Product: w.Product, Trusted: w.Trusted, QR: w.QR,
		ClientIdentifier: w.ClientIdentifier, Location: decodeLocation(w.Location),
		CreatedAt: w.CreatedAt, ExpiresAt: w.ExpiresAt, NewRegistration: w.NewRegistration,
	}
	if w.ExpiresIn != nil {
		p.ExpiresIn, p.expiresInSet = *w.ExpiresIn, true
	}
	if w.AuthToken != nil {
		p.AuthToken = Token(*w.AuthToken)
	}
	return p, nil
}

// decodeLocation never fails: location is informational, so a field of the wrong type is
// dropped rather than losing the pin over it.
func decodeLocation(raw json.RawMessage) *Location {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return nil
	}
	str := func(k string) string { return lenientString(m[k]) } // postal_code: some sources send 4814, not "4814"
	boolean := func(k string) bool { return lenientBool(m[k]) }
	return &Location{
		Code: str("code"), ContinentCode: str("continent_code"), Country: str("country"),
		City: str("city"), TimeZone: str("time_zone"), PostalCode: str("postal_code"),
		Subdivisions: str("subdivisions"), Coordinates: str("coordinates"),
		EuropeanUnionMember:        boolean("european_union_member"),
		InPrivacyRestrictedCountry: boolean("in_privacy_restricted_country"),
		InPrivacyRestrictedRegion:  boolean("in_privacy_restricted_region"),
	}
}

func decodeAccount(body []byte) (*Account, error) {
	var w accountJSON
	if err := decodeJSON(body, "user", &w); err != nil {
		return nil, err
	}
	if w.ID == 0 && w.UUID == "" {
		return nil, fmt.Errorf("%w: user without id or uuid", ErrBadResponse)
	}
	a := Account(w)
	return &a, nil
}

func decodeErrorBody(body []byte) ([]ErrorItem, bool) {
	var w errorBodyJSON
	if json.Unmarshal(body, &w) != nil || len(w.Errors) == 0 {
		return nil, false
	}
	return w.Errors, true
}
