package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Resource is one device of GET /resources: a Plex Media Server, a player, Plex Web… Only
// the fields docs/PLEX-TV-TOOLS.md lists are kept.
type Resource struct {
	Name             string
	Product          string
	ProductVersion   string
	Platform         string
	ClientIdentifier string // a server's machine identifier
	Provides         string // comma list, e.g. "server" or "client,player"
	Owned            bool
	OwnerID          int64
	SourceTitle      string // the owner's name, for servers shared with this account
	Home             bool
	AccessToken      Token // what to send to this device; differs per server for shared ones
	Presence         bool
	HTTPSRequired    bool
	PublicAddress    string
	Relay            bool
	LastSeenAt       time.Time
	Connections      []Connection
}

// Connection is one way plex.tv knows to reach a device.
type Connection struct {
	Protocol string
	Address  string
	Port     int
	URI      string
	Local    bool
	Relay    bool
	IPv6     bool
}

// IsServer reports whether the device is a Plex Media Server.
func (r Resource) IsServer() bool {
	for _, p := range strings.Split(r.Provides, ",") {
		if strings.TrimSpace(p) == "server" {
			return true
		}
	}
	return false
}

type resourceJSON struct {
	Name             string           `json:"name"`
	Product          string           `json:"product"`
	ProductVersion   string           `json:"productVersion"`
	Platform         string           `json:"platform"`
	ClientIdentifier string           `json:"clientIdentifier"`
	Provides         string           `json:"provides"`
	Owned            bool             `json:"owned"`
	OwnerID          *int64           `json:"ownerId"`
	SourceTitle      *string          `json:"sourceTitle"`
	Home             bool             `json:"home"`
	AccessToken      *string          `json:"accessToken"`
	Presence         bool             `json:"presence"`
	HTTPSRequired    bool             `json:"httpsRequired"`
	PublicAddress    string           `json:"publicAddress"`
	Relay            bool             `json:"relay"`
	LastSeenAt       *time.Time       `json:"lastSeenAt"`
	Connections      []connectionJSON `json:"connections"`
}

type connectionJSON struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	URI      string `json:"uri"`
	Local    bool   `json:"local"`
	Relay    bool   `json:"relay"`
	IPv6     bool   `json:"IPv6"`
}

// Resources lists the devices the token's account can reach (GET /resources), with https,
// relay and IPv6 connections included, as python-plexapi asks for them.
func (c *Client) Resources(ctx context.Context, tok Token) ([]Resource, error) {
	if tok == "" {
		return nil, fmt.Errorf("plex.tv GET /resources: no token: %w", ErrUnauthorized)
	}
	r, err := c.do(ctx, http.MethodGet, "/resources?includeHttps=1&includeRelay=1&includeIPv6=1", tok, nil)
	if err != nil {
		return nil, err
	}
	res, err := decodeResources(r.body)
	if err != nil {
		return nil, r.bad(err)
	}
	return res, nil
}

func decodeResources(body []byte) ([]Resource, error) {
	var ws []resourceJSON
	if err := decodeJSON(body, "resources", &ws); err != nil {
		return nil, err
	}
	out := make([]Resource, 0, len(ws))
	for _, w := range ws {
		r := Resource{
			Name: w.Name, Product: w.Product, ProductVersion: w.ProductVersion, Platform: w.Platform,
			ClientIdentifier: w.ClientIdentifier, Provides: w.Provides, Owned: w.Owned, Home: w.Home,
			Presence: w.Presence, HTTPSRequired: w.HTTPSRequired, PublicAddress: w.PublicAddress, Relay: w.Relay,
		}
		if w.OwnerID != nil {
			r.OwnerID = *w.OwnerID
		}
		if w.SourceTitle != nil {
			r.SourceTitle = *w.SourceTitle
		}
		if w.AccessToken != nil {
			r.AccessToken = Token(*w.AccessToken)
		}
		if w.LastSeenAt != nil {
			r.LastSeenAt = *w.LastSeenAt
		}
		for _, cj := range w.Connections {
			r.Connections = append(r.Connections, Connection(cj))
		}
		out = append(out, r)
	}
	return out, nil
}

// LinkPin approves a 4-character code with tok, as the user does on plex.tv/link
// (PUT /pins/link). The pin's owner then receives a token of tok's account.
func (c *Client) LinkPin(ctx context.Context, tok Token, code string) error {
	if tok == "" {
		return fmt.Errorf("plex.tv PUT /pins/link: no token: %w", ErrUnauthorized)
	}
	_, err := c.do(ctx, http.MethodPut, "/pins/link", tok, url.Values{"code": {code}})
	return err
}
