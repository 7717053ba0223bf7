package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"codeberg.org/plexlink/plexlink/auth"
	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// specFile is a copy of the community plex.tv spec (origin and licence in its header),
// kept in the repository so the conformance tests need nothing beside the checkout.
const specFile = "testdata/plex-tv-pins.openapi.yaml"

const specURL = "file:///plex-tv-pins.openapi.json"

type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatalf("the conformance test needs %s: %v", specFile, err)
	}
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("parse %s: %v", specFile, err)
	}
	js, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1 schemas are JSON Schema 2020-12
	c.AssertFormat()
	if err := c.AddResource(specURL, doc); err != nil {
		t.Fatal(err)
	}
	return &spec{doc: doc.(map[string]any), compiler: c}
}

func (s *spec) op(path, method string) map[string]any {
	return s.doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

// declared lists the status codes the spec gives an operation.
func (s *spec) declared(path, method string) map[int]bool {
	out := map[int]bool{}
	for code := range s.op(path, method)["responses"].(map[string]any) {
		n, _ := strconv.Atoi(code)
		out[n] = true
	}
	return out
}

func (s *spec) media(path, method string, status int) map[string]any {
	r := s.op(path, method)["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	return r["content"].(map[string]any)["application/json"].(map[string]any)
}

func (s *spec) schema(t *testing.T, path, method string, status int) *jsonschema.Schema {
	t.Helper()
	esc := strings.NewReplacer("~", "~0", "/", "~1", "{", "%7B", "}", "%7D")
	loc := fmt.Sprintf("%s#/paths/%s/%s/responses/%d/content/application~1json/schema", specURL, esc.Replace(path), method, status)
	sch, err := s.compiler.Compile(loc)
	if err != nil {
		t.Fatalf("compile %s %s %d: %v", method, path, status, err)
	}
	return sch
}

func TestFakeConformsToSpec(t *testing.T) {
	sp := loadSpec(t)
	srv := newServer(t)
	ctx := context.Background()
	c := newClient(srv)
	pending, err := c.CreatePin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	approved, _ := c.CreatePin(ctx, false)
	tok, _ := srv.Approve(approved.Code)
	expired, _ := c.CreatePin(ctx, false)
	srv.Expire(expired.Code)

	id := testIdentity.ClientID
	pinPath := func(p *auth.Pin) string { return "/pins/" + strconv.FormatInt(p.ID, 10) }
	home := srv.HomeUsers()
	managed, protected := home[0], home[1]
	kidTok := srv.HomeUserToken(managed.UUID)
	linkable, _ := c.CreatePin(ctx, false)
	switchPath := func(u plextvtest.HomeUser, pin string) string {
		p := "/home/users/" + u.UUID + "/switch"
		if pin != "" {
			p += "?pin=" + pin
		}
		return p
	}
	cases := []struct {
		name, method, specPath, path, clientID, token string
		want                                          int
		form                                          url.Values
	}{
		{"create", "post", "/pins", "/pins", id, "", 201, nil},
		{"create strong", "post", "/pins", "/pins?strong=true", id, "", 201, nil},
		{"create without client id", "post", "/pins", "/pins", "", "", 400, nil},
		{"poll pending", "get", "/pins/{pinID}", pinPath(pending), id, "", 200, nil},
		{"poll approved", "get", "/pins/{pinID}", pinPath(approved), id, "", 200, nil},
		{"poll expired", "get", "/pins/{pinID}", pinPath(expired), id, "", 404, nil},
		{"poll unknown", "get", "/pins/{pinID}", "/pins/12345", id, "", 404, nil},
		{"poll another client's pin", "get", "/pins/{pinID}", pinPath(pending), "someone-else", "", 404, nil},
		{"poll without client id", "get", "/pins/{pinID}", pinPath(pending), "", "", 400, nil},
		{"user", "get", "/user", "/user", id, tok, 200, nil},
		{"user bad token", "get", "/user", "/user", id, "not-a-token", 401, nil},
		{"user with a token only", "get", "/user", "/user", "", tok, 200, nil},
		{"user without a token", "get", "/user", "/user", "", "", 401, nil},
		{"user managed", "get", "/user", "/user", "", kidTok, 200, nil},
		{"resources", "get", "/resources", "/resources?includeHttps=1&includeRelay=1&includeIPv6=1", id, tok, 200, nil},
		{"resources of a Home user", "get", "/resources", "/resources", "", kidTok, 200, nil},
		{"resources bad token", "get", "/resources", "/resources", id, "not-a-token", 401, nil},
		{"ping", "get", "/ping", "/ping", "", tok, 200, nil},
		{"ping bad token", "get", "/ping", "/ping", id, "not-a-token", 401, nil},
		{"link", "put", "/pins/link", "/pins/link", id, tok, 204, url.Values{"code": {linkable.Code}}},
		{"link unknown code", "put", "/pins/link", "/pins/link", id, tok, 404, url.Values{"code": {"ZZZZ"}}},
		{"link bad token", "put", "/pins/link", "/pins/link", id, "not-a-token", 401, url.Values{"code": {"ZZZZ"}}},
		{"link without client id", "put", "/pins/link", "/pins/link", "", tok, 400, url.Values{"code": {"ZZZZ"}}},
		{"home users", "get", "/home/users", "/home/users", id, tok, 200, nil},
		{"home users of a member", "get", "/home/users", "/home/users", "", kidTok, 200, nil},
		{"home users bad token", "get", "/home/users", "/home/users", id, "not-a-token", 401, nil},
		{"switch managed", "post", "/home/users/{uuid}/switch", switchPath(managed, ""), id, tok, 201, nil},
		{"switch protected", "post", "/home/users/{uuid}/switch", switchPath(protected, plextvtest.ProtectedUserPIN), id, tok, 201, nil},
		{"switch protected without PIN", "post", "/home/users/{uuid}/switch", switchPath(protected, ""), id, tok, 403, nil},
		{"switch protected wrong PIN", "post", "/home/users/{uuid}/switch", switchPath(protected, "0000"), id, tok, 403, nil},
		{"switch unknown", "post", "/home/users/{uuid}/switch", "/home/users/nobody/switch", id, tok, 404, nil},
		{"switch bad token", "post", "/home/users/{uuid}/switch", switchPath(managed, ""), id, "not-a-token", 401, nil},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[strings.ToUpper(tc.method)+" "+tc.specPath] = true
	}
	// Every route of the fake that answers JSON has a case (DELETE /users/signout answers
	// 204 without a body, or the 401 checked by the client tests).
	for _, r := range []string{plextvtest.RouteCreatePin, "GET /pins/{pinID}", plextvtest.RouteLinkPin, plextvtest.RouteUser,
		plextvtest.RoutePing, plextvtest.RouteResources, plextvtest.RouteHomeUsers, plextvtest.RouteSwitch} {
		if !covered[r] {
			t.Errorf("no conformance case for %s", r)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := rawCallForm(t, strings.ToUpper(tc.method), srv.URL+tc.path, tc.clientID, tc.token, tc.form)
			if status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
			if !sp.declared(tc.specPath, tc.method)[status] {
				t.Fatalf("the spec declares no %d for %s %s", status, tc.method, tc.specPath)
			}
			if status == http.StatusNoContent {
				if body != nil {
					t.Fatalf("204 with a body: %v", body)
				}
				return
			}
			if !strings.HasPrefix(ctype, "application/json") {
				t.Fatalf("Content-Type %q", ctype)
			}
			if err := sp.schema(t, tc.specPath, tc.method, status).Validate(body); err != nil {
				t.Fatalf("response does not match the spec: %v", err)
			}
			if tc.name == "poll approved" && body.(map[string]any)["authToken"] != tok {
				t.Fatal("approved pin carries no (or the wrong) authToken")
			}
		})
	}

	// The validator must be able to fail, or the checks above prove nothing.
	t.Run("schemas reject wrong answers", func(t *testing.T) {
		_, _, body := rawCall(t, "GET", srv.URL+pinPath(pending), id, "")
		bad := body.(map[string]any)
		bad["id"] = "not-a-number"
		if sp.schema(t, "/pins/{pinID}", "get", 200).Validate(bad) == nil {
			t.Fatal("a pin with a string id passed validation")
		}
		_, _, user := rawCall(t, "GET", srv.URL+"/user", id, tok)
		delete(user.(map[string]any), "uuid")
		if sp.schema(t, "/user", "get", 200).Validate(user) == nil {
			t.Fatal("a user without uuid passed validation")
		}
	})
}

func rawCall(t *testing.T, method, url, clientID, token string) (int, string, any) {
	t.Helper()
	return rawCallForm(t, method, url, clientID, token, nil)
}

// rawCallForm sends form (if not nil) as an urlencoded body; a body that is empty comes back nil.
func rawCallForm(t *testing.T, method, target, clientID, token string, form url.Values) (int, string, any) {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	if clientID != "" {
		req.Header.Set("X-Plex-Client-Identifier", clientID)
	}
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if len(data) == 0 {
		return resp.StatusCode, resp.Header.Get("Content-Type"), nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, target, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), v
}

// The spec's own examples must go through the Client's decoder, served over real HTTP.
func TestClientDecodesSpecExamples(t *testing.T) {
	sp := loadSpec(t)
	srv := newServer(t)
	c := newClient(srv)
	var examples []map[string]any
	for _, op := range [][2]string{{"/pins", "post"}, {"/pins/{pinID}", "get"}} {
		status := map[string]int{"post": 201, "get": 200}[op[1]]
		sch := sp.media(op[0], op[1], status)["schema"].(map[string]any)
		for _, ex := range sch["examples"].([]any) {
			examples = append(examples, ex.(map[string]any))
		}
		for _, ex := range sch["x-examples"].(map[string]any) {
			examples = append(examples, ex.(map[string]any))
		}
		// GeoData examples, inside a minimal pin.
		loc := sch["properties"].(map[string]any)["location"].(map[string]any)
		for _, ex := range loc["examples"].([]any) {
			examples = append(examples, map[string]any{"id": json.Number("7"), "code": "WXYZ", "location": ex})
		}
	}
	if len(examples) < 6 {
		t.Fatalf("found only %d examples in the spec", len(examples))
	}
	for i, ex := range examples {
		body, _ := json.Marshal(ex)
		srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Body: string(body)})
		p, err := c.Pin(context.Background(), 1)
		if err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		wantID, _ := ex["id"].(json.Number).Int64()
		if p.ID != wantID || p.Code != ex["code"] || !p.AuthToken.IsZero() {
			t.Fatalf("example %d: got id %d code %q", i, p.ID, p.Code)
		}
		if n, ok := ex["expiresIn"].(json.Number); ok && (strconv.Itoa(p.ExpiresIn) != n.String() || p.ExpiresAt.Sub(p.CreatedAt) != 15*time.Minute) {
			t.Fatalf("example %d: expiresIn %d, lifetime %v", i, p.ExpiresIn, p.ExpiresAt.Sub(p.CreatedAt))
		}
		loc := ex["location"].(map[string]any)
		if p.Location == nil || p.Location.PostalCode != loc["postal_code"] || p.Location.City != loc["city"] ||
			p.Location.Coordinates != loc["coordinates"] || p.Location.EuropeanUnionMember != loc["european_union_member"] {
			t.Fatalf("example %d: location %+v", i, p.Location)
		}
	}

	notFound, _ := json.Marshal(sp.media("/pins/{pinID}", "get", 404)["example"])
	srv.FailNext(plextvtest.RoutePin, 1, plextvtest.Fault{Status: 404, Body: string(notFound)})
	_, err := c.Pin(context.Background(), 1)
	var ae *auth.APIError
	if !errors.Is(err, auth.ErrPinExpired) || !errors.As(err, &ae) || ae.Errors[0].Code != 1020 {
		t.Fatalf("the spec's 404 example: %v", err)
	}
}
