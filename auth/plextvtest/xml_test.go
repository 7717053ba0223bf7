package plextvtest_test

// What python-plexapi reads, over the XML it gets by default (it never sends
// Accept: application/json). Mirrored from python-plexapi 4.16.1 (tag 4.16.1, commit
// a8d051f29bbadca28dc9bd4bf50f1fb76d0fb77a): plexapi/myplex.py MyPlexAccount._loadData,
// ping, resources, switchHomeUser, link; MyPlexResource / ResourceConnection; MyPlexPinLogin
// _getCode/_checkLogin; plexapi/server.py PlexServer._loadData and library; plexapi/library.py
// Library, LibrarySection; plexapi/video.py Movie (<Video type="movie">), Show
// (<Directory type="show">); plexapi/base.py fetchItems (X-Plex-Container-Start/Size paging).

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

type elem struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Kids    []elem     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (e elem) attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (e elem) get(name string) string { v, _ := e.attr(name); return v }

func (e elem) kids(tag string) []elem {
	var out []elem
	for _, k := range e.Kids {
		if k.XMLName.Local == tag {
			out = append(out, k)
		}
	}
	return out
}

// plexBool is python-plexapi's utils.cast(bool, …): anything else raises ValueError.
func plexBool(t *testing.T, e elem, name string) bool {
	t.Helper()
	v, ok := e.attr(name)
	switch {
	case !ok:
		return false
	case v == "1" || v == "true":
		return true
	case v == "0" || v == "false":
		return false
	}
	t.Fatalf("<%s %s=%q>: python-plexapi cannot cast it to bool", e.XMLName.Local, name, v)
	return false
}

func plexInt(t *testing.T, e elem, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(e.get(name), 10, 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: not an integer", e.XMLName.Local, name, e.get(name))
	}
	return n
}

// pyGet sends what python-plexapi sends: its X-Plex-* headers, no Accept (requests sends */*).
func pyGet(t *testing.T, method, target, token string, hdr map[string]string, form url.Values) (int, elem) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-Plex-Product", "PlexAPI")
	req.Header.Set("X-Plex-Client-Identifier", "python-plexapi-test")
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e elem
	if len(data) > 0 {
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "json") {
			t.Fatalf("%s %s without Accept: JSON (%s)", method, target, ct)
		}
		if err := xml.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s %s: not XML: %v", method, target, err)
		}
	}
	return resp.StatusCode, e
}

func TestPlexTVAnswersXMLByDefault(t *testing.T) {
	c := start(t)
	api, tok := c.srv.URL, c.srv.AccountToken()
	defer http.DefaultClient.CloseIdleConnections()

	// MyPlexPinLogin: POST /pins → <pin id code>; GET /pins/{id} → authToken once approved.
	status, pin := pyGet(t, "POST", api+"/pins", "", nil, nil)
	if status != 201 || pin.XMLName.Local != "pin" || pin.get("id") == "" || len(pin.get("code")) != 4 {
		t.Fatalf("POST /pins: %d <%s id=%q code=%q>", status, pin.XMLName.Local, pin.get("id"), pin.get("code"))
	}
	if _, ok := pin.attr("authToken"); ok {
		t.Fatal("a pending pin carries an authToken attribute")
	}
	// MyPlexAccount.link(): PUT /pins/link, form code=, X-Plex-Product: Plex SSO.
	if status, _ := pyGet(t, "PUT", api+"/pins/link", tok, map[string]string{
		"X-Plex-Product": "Plex SSO", "Content-Type": "application/x-www-form-urlencoded"}, url.Values{"code": {pin.get("code")}}); status != 204 {
		t.Fatalf("PUT /pins/link: %d", status)
	}
	_, polled := pyGet(t, "GET", api+"/pins/"+pin.get("id"), "", nil, nil)
	if polled.get("authToken") == "" || !c.srv.TokenValid(polled.get("authToken")) {
		t.Fatal("approved pin: no valid authToken attribute")
	}

	// MyPlexAccount._loadData on GET /api/v2/user.
	status, user := pyGet(t, "GET", api+"/user", tok, nil, nil)
	if status != 200 || user.XMLName.Local != "user" || user.get("authToken") != tok || user.get("username") != plextvtest.DefaultUsername ||
		user.get("uuid") == "" || user.get("email") == "" || user.get("title") == "" {
		t.Fatalf("GET /user: %d <%s username=%q>", status, user.XMLName.Local, user.get("username"))
	}
	plexInt(t, user, "id")
	plexInt(t, user, "joinedAt") // utils.toDatetime: epoch seconds
	plexInt(t, user, "homeSize")
	if _, ok := user.attr("scrobbleTypes"); !ok {
		t.Fatal("<user> without scrobbleTypes: python-plexapi calls .split(',') on it")
	}
	for _, b := range []string{"confirmed", "home", "protected", "restricted", "twoFactorEnabled", "guest", "hasPassword", "emailOnlyAuth", "experimentalFeatures", "backupCodesCreated", "mailingListActive"} {
		plexBool(t, user, b)
	}
	if !plexBool(t, user, "homeAdmin") {
		t.Error("demo is the Home admin")
	}
	subs, profile := user.kids("subscription"), user.kids("profile")
	if len(subs) != 1 || len(profile) != 1 || len(subs[0].kids("features")) != 1 ||
		len(user.kids("entitlements")) != 1 || len(user.kids("roles")) != 1 {
		t.Fatal("<user> lacks subscription/features, profile, entitlements or roles")
	}
	plexBool(t, subs[0], "active")
	plexBool(t, profile[0], "autoSelectAudio")

	// MyPlexAccount.ping(): utils.cast(bool, root.text).
	if status, pong := pyGet(t, "GET", api+"/ping", tok, nil, nil); status != 200 || strings.TrimSpace(pong.Text) != "true" {
		t.Fatalf("GET /ping: %d %q", status, pong.Text)
	}

	// MyPlexAccount.resources(): children of the root are <resource>, connections under <connections>.
	status, res := pyGet(t, "GET", api+"/resources?includeHttps=1&includeRelay=1", tok, nil, nil)
	if status != 200 || len(res.Kids) != 4 || len(res.kids("resource")) != 4 {
		t.Fatalf("GET /resources: %d, %d children", status, len(res.Kids))
	}
	for _, r := range res.kids("resource") {
		for _, b := range []string{"owned", "home", "presence", "httpsRequired", "relay", "synced", "publicAddressMatches", "dnsRebindingProtection", "natLoopbackSupported"} {
			plexBool(t, r, b)
		}
		if r.get("provides") != "server" {
			if _, ok := r.attr("accessToken"); ok {
				t.Error("a player carries an accessToken attribute (JSON null)")
			}
			continue
		}
		m := c.srv.MediaServer(r.get("name"))
		if m == nil || r.get("clientIdentifier") != m.MachineID || r.get("accessToken") != m.AccessToken {
			t.Fatalf("resource %q does not match the fake's server", r.get("name"))
		}
		conns := r.kids("connections")
		if len(conns) != 1 || len(conns[0].kids("connection")) == 0 {
			t.Fatalf("resource %q: no <connections><connection/>", r.get("name"))
		}
		for _, cn := range conns[0].kids("connection") {
			plexInt(t, cn, "port")
			plexBool(t, cn, "local")
			plexBool(t, cn, "relay")
			plexBool(t, cn, "IPv6")
			if cn.get("address") == "" || cn.get("uri") == "" || cn.get("protocol") == "" {
				t.Fatalf("resource %q: connection without address, uri or protocol", r.get("name"))
			}
		}
	}

	// Errors: plex.tv's <errors><error code message status/></errors>.
	status, e := pyGet(t, "GET", api+"/user", "not-a-token", nil, nil)
	if errs := e.kids("error"); status != 401 || e.XMLName.Local != "errors" || len(errs) != 1 || errs[0].get("code") != "1001" {
		t.Fatalf("401 in XML: %d <%s>", status, e.XMLName.Local)
	}
}

// python-plexapi's Home calls are the v1 XML ones: GET https://plex.tv/api/home/users and
// MyPlexAccount.switchHomeUser: POST https://plex.tv/api/home/users/{id}/switch[?pin=],
// reading the root's authenticationToken.
func TestHomeV1XML(t *testing.T) {
	c := start(t)
	base := strings.TrimSuffix(c.srv.URL, "/api/v2")
	tok := c.srv.AccountToken()
	defer http.DefaultClient.CloseIdleConnections()
	status, mc := pyGet(t, "GET", base+"/api/home/users", tok, nil, nil)
	users := mc.kids("User")
	if status != 200 || mc.XMLName.Local != "MediaContainer" || len(users) != 3 || mc.get("size") != "3" {
		t.Fatalf("GET /api/home/users: %d <%s> %d users", status, mc.XMLName.Local, len(users))
	}
	if !plexBool(t, users[0], "admin") || !plexBool(t, users[1], "restricted") || !plexBool(t, users[2], "protected") ||
		users[1].get("title") != plextvtest.ManagedUserTitle || users[2].get("username") != plextvtest.ProtectedUserName {
		t.Fatal("Home users' admin/restricted/protected/title")
	}
	for i, u := range users {
		plexInt(t, u, "id")
		if i > 0 && plexBool(t, u, "admin") {
			t.Fatal("more than one admin")
		}
	}
	sw := func(u elem, pin string) (int, elem) {
		q := ""
		if pin != "" {
			q = "?pin=" + pin
		}
		return pyGet(t, "POST", base+"/api/home/users/"+u.get("id")+"/switch"+q, tok, nil, nil)
	}
	for _, u := range users[:2] {
		status, got := sw(u, "")
		nt := got.get("authenticationToken")
		if status != 201 || got.XMLName.Local != "user" || nt == "" || nt == tok || !c.srv.TokenValid(nt) || got.get("uuid") != u.get("uuid") {
			t.Fatalf("switch to %s: %d", u.get("title"), status)
		}
		if _, who := pyGet(t, "GET", c.srv.URL+"/user", nt, nil, nil); who.get("uuid") != u.get("uuid") {
			t.Fatalf("GET /user with %s's new token answers %s", u.get("title"), who.get("title"))
		}
	}
	for _, pin := range []string{"", "1111"} {
		status, e := sw(users[2], pin)
		if errs := e.kids("error"); status != 403 || len(errs) != 1 || errs[0].get("code") != "1041" {
			t.Fatalf("switch to the protected user with pin %q: %d", pin, status)
		}
	}
	if status, got := sw(users[2], plextvtest.ProtectedUserPIN); status != 201 || got.get("authenticationToken") == "" {
		t.Fatalf("switch with the right PIN: %d", status)
	}
	if status, _ := pyGet(t, "POST", base+"/api/home/users/999/switch", tok, nil, nil); status != 404 {
		t.Fatalf("switch to an unknown id: %d", status)
	}
}

// PlexServer(baseurl, token): GET / then library → /library, /library/sections,
// section.all() → /library/sections/{key}/all?includeGuids=1&type=N with paging headers.
func TestMediaServerLibraryXML(t *testing.T) {
	c := start(t)
	defer http.DefaultClient.CloseIdleConnections()
	living := c.srv.MediaServer(plextvtest.OwnedServerName)
	home := c.srv.HomeUsers()
	kidTok := living.AccessTokenFor(home[0].UUID)
	if kidTok == "" || kidTok == living.AccessToken || living.AccessTokenFor(home[1].UUID) == "" {
		t.Fatal("Living Room is not shared with both Home users under tokens of their own")
	}
	for _, tok := range []string{living.AccessToken, kidTok} {
		status, root := pyGet(t, "GET", living.URL+"/", tok, nil, nil)
		if status != 200 || root.XMLName.Local != "MediaContainer" || root.get("friendlyName") != living.Name || root.get("machineIdentifier") != living.MachineID {
			t.Fatalf("GET /: %d", status)
		}
		plexBool(t, root, "myPlex")
		if status, lib := pyGet(t, "GET", living.URL+"/library", tok, nil, nil); status != 200 || len(lib.kids("Directory")) == 0 {
			t.Fatalf("GET /library: %d", status)
		}
		status, secs := pyGet(t, "GET", living.URL+"/library/sections", tok, nil, nil)
		dirs := secs.kids("Directory")
		if status != 200 || len(dirs) != 2 || dirs[0].get("type") != "movie" || dirs[1].get("type") != "show" ||
			dirs[0].get("title") != plextvtest.MovieSectionTitle || dirs[0].get("uuid") == "" ||
			len(dirs[0].kids("Location")) != 1 || dirs[0].kids("Location")[0].get("path") == "" {
			t.Fatalf("GET /library/sections: %d, %d sections", status, len(dirs))
		}
		for _, d := range dirs {
			plexInt(t, d, "key")
			plexBool(t, d, "allowSync")
			plexBool(t, d, "refreshing")
			plexInt(t, d, "updatedAt")
		}
		// fetchItems pages with X-Plex-Container-Size (default 100); ask for 2 to see paging.
		hdr := map[string]string{"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "2"}
		status, movies := pyGet(t, "GET", living.URL+"/library/sections/1/all?includeGuids=1&type=1", tok, hdr, nil)
		if status != 200 || len(movies.kids("Video")) != 2 || movies.get("totalSize") != "3" || movies.get("librarySectionID") != "1" {
			t.Fatalf("movies page 1: %d, %d <Video>, totalSize %q", status, len(movies.kids("Video")), movies.get("totalSize"))
		}
		hdr["X-Plex-Container-Start"] = "2"
		if _, page2 := pyGet(t, "GET", living.URL+"/library/sections/1/all?includeGuids=1&type=1", tok, hdr, nil); len(page2.kids("Video")) != 1 {
			t.Fatalf("movies page 2: %d <Video>", len(page2.kids("Video")))
		}
		for _, v := range movies.kids("Video") {
			plexInt(t, v, "ratingKey")
			plexInt(t, v, "year")
			plexInt(t, v, "addedAt")
			if v.get("type") != "movie" || v.get("title") == "" || !strings.HasPrefix(v.get("key"), "/library/metadata/") {
				t.Fatalf("<Video type=%q title=%q key=%q>", v.get("type"), v.get("title"), v.get("key"))
			}
		}
		_, shows := pyGet(t, "GET", living.URL+"/library/sections/2/all?includeGuids=1&type=2", tok, nil, nil)
		if ds := shows.kids("Directory"); len(ds) != 2 || ds[0].get("type") != "show" || plexInt(t, ds[0], "leafCount") == 0 {
			t.Fatalf("shows: %d <Directory type=show>", len(ds))
		}
		if _, none := pyGet(t, "GET", living.URL+"/library/sections/2/all?type=1", tok, nil, nil); len(none.Kids) != 0 {
			t.Fatal("movies in the show section")
		}
	}
	grandma := c.srv.MediaServer(plextvtest.SharedServerName)
	for _, probe := range []struct{ url, tok string }{
		{living.URL + "/library/sections", ""},
		{living.URL + "/library/sections", grandma.AccessToken},
		{grandma.URL + "/library/sections", kidTok},
	} {
		if status, _ := pyGetRaw(t, probe.url, probe.tok); status != 401 {
			t.Errorf("GET %s with a token that is not the server's: %d", probe.url, status)
		}
	}
}

func pyGetRaw(t *testing.T, target, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", target, nil)
	if tok != "" {
		req.Header.Set("X-Plex-Token", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The same library in JSON: {"MediaContainer":{…,"Directory":[…]}} and "Metadata" for items.
func TestMediaServerLibraryJSON(t *testing.T) {
	c := start(t)
	defer http.DefaultClient.CloseIdleConnections()
	living := c.srv.MediaServer(plextvtest.OwnedServerName)
	get := func(path string) map[string]any {
		req, _ := http.NewRequest("GET", living.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Plex-Token", living.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			MediaContainer map[string]any
		}
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 || v.MediaContainer == nil {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return v.MediaContainer
	}
	secs := get("/library/sections")["Directory"].([]any)
	if len(secs) != 2 || secs[0].(map[string]any)["type"] != "movie" {
		t.Fatalf("sections %v", secs)
	}
	if _, ok := secs[0].(map[string]any)["@tag"]; ok {
		t.Fatal("an XML-only key in JSON")
	}
	md := get("/library/sections/2/all")["Metadata"].([]any)
	if len(md) != 2 || md[0].(map[string]any)["type"] != "show" {
		t.Fatalf("shows %v", md)
	}
}
