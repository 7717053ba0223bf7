package plextvtest

import (
	"net/http"
	"strconv"
	"strings"
)

// The demo account's Plex Home. The demo account is the Home's admin (no PIN); its members
// are a managed user (restricted, no username, no PIN) and a full account protected by a
// 4-digit Home PIN. Living Room is shared with both members (resources for a member list
// only that server, with the member's own access token); a member's token works for
// GET /user, /ping, /resources, PUT /pins/link (approving a code as that member) and
// sign-out, like any account's.
const (
	ManagedUserTitle  = "Kid"
	ProtectedUserName = "alice"
	ProtectedUserPIN  = "2580"
)

// Error codes and messages of the Home calls. 1041 is plex.tv's; the unknown-user answer
// is this fake's guess (plex.tv's exact code for it is not documented).
const (
	codeHomePIN       = 1041
	msgHomePIN        = "A valid PIN is required"
	codeNoSuchUser    = 404
	msgNoSuchHomeUser = "User not found"
)

// HomeUser describes one member of the fake's Home for tests and the start line.
type HomeUser struct {
	ID         int64   `json:"-"`
	UUID       string  `json:"-"`
	Name       string  `json:"name"`
	Restricted bool    `json:"restricted"`
	PIN        *string `json:"pin"`
	Admin      bool    `json:"-"`
}

// HomeUsers lists the Home's members other than the admin (the demo account).
func (f *Fake) HomeUsers() []HomeUser {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []HomeUser
	for _, a := range f.homeLocked()[1:] {
		h := HomeUser{ID: a.id, UUID: a.uuid, Name: a.name(), Restricted: a.restricted, Admin: a.admin}
		if a.pin != "" {
			pin := a.pin
			h.PIN = &pin
		}
		out = append(out, h)
	}
	return out
}

// HomeUserToken mints a token of a Home member (by uuid), as switching to them does.
func (f *Fake) HomeUserToken(uuid string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.homeLocked() {
		if a.uuid == uuid {
			return f.mintLocked(a)
		}
	}
	return ""
}

// homeLocked is the Home, admin first.
func (f *Fake) homeLocked() []*account { return []*account{&f.user, &f.managed, &f.protected} }

func (f *Fake) inHome(a *account) bool {
	if a == nil {
		return false
	}
	for _, h := range f.homeLocked() {
		if h.uuid == a.uuid {
			return true
		}
	}
	return false
}

// mintLocked issues a new token of a.
func (f *Fake) mintLocked(a *account) string {
	tok := randomString(20, alnum)
	f.tokens[tok] = true
	if a != &f.user {
		f.owners[tok] = a
	}
	f.issued = append(f.issued, tok)
	return tok
}

// membersOf is what a token's account sees of its Home: the whole Home for a member,
// only itself for an account outside it.
func (f *Fake) membersOf(a *account) []*account {
	if f.inHome(a) {
		return f.homeLocked()
	}
	return []*account{a}
}

// homeUserJSON is one member as GET /api/v2/home/users lists it (the shape seen in
// captures of Plex Web; no token).
func (f *Fake) homeUserJSON(a *account, host string) map[string]any {
	email := any(nil)
	if a.username != "" {
		email = a.username + "@example.com"
	}
	return map[string]any{
		"id": a.id, "uuid": a.uuid, "title": a.name(), "username": a.username, "email": email,
		"friendlyName": a.name(), "thumb": "http://" + host + "/users/" + a.uuid + "/avatar?c=1",
		"hasPassword": a.username != "", "restricted": a.restricted, "updatedAt": a.joined.Unix(),
		"restrictionProfile": restrictionProfile(a), "admin": a.admin, "guest": false,
		"protected": a.pin != "",
	}
}

func restrictionProfile(a *account) any {
	if a.restricted {
		return "little_kid"
	}
	return nil
}

// homeJSON renders GET /api/v2/home/users: the Home and its members.
func (f *Fake) homeJSON(a *account, host string) map[string]any {
	users := []map[string]any{}
	for _, m := range f.membersOf(a) {
		users = append(users, f.homeUserJSON(m, host))
	}
	admin := f.membersOf(a)[0]
	return map[string]any{
		"id": 1841489, "name": admin.name() + "'s home", "guestUserID": nil, "guestUserUUID": nil,
		"guestEnabled": false, "subscription": false, "users": users,
	}
}

// homeV1 renders GET https://plex.tv/api/home/users, the v1 XML python-plexapi knows:
// <MediaContainer …><User id uuid title username admin restricted protected …/></MediaContainer>.
func (f *Fake) homeV1(a *account, host string) map[string]any {
	var users []map[string]any
	for _, m := range f.membersOf(a) {
		u := f.homeUserJSON(m, host)
		u["@tag"] = "User"
		u["restrictionProfile"] = "" // v1 sends empty strings where v2 sends null
		users = append(users, u)
	}
	return map[string]any{
		"friendlyName": "myPlex", "identifier": "com.plexapp.plugins.myplex",
		"machineIdentifier": "plextvtest-" + a.uuid, "size": len(users), "User": users,
	}
}

// findMemberLocked resolves the {uuid} (v2) or {id} (v1) of a switch among a's Home.
func (f *Fake) findMemberLocked(a *account, key string, byID bool) *account {
	for _, m := range f.membersOf(a) {
		if (!byID && m.uuid == key) || (byID && strconv.FormatInt(m.id, 10) == key) {
			return m
		}
	}
	return nil
}

// serveHome answers the Home routes; the caller has checked the token.
func (f *Fake) serveHome(w http.ResponseWriter, r *http.Request, route, key, tok string) {
	a := f.accountOf(tok)
	switch route {
	case RouteHomeUsers:
		respond(w, r, http.StatusOK, "home", f.homeJSON(a, r.Host))
	case RouteHomeUsersV1:
		respondPMS(w, r, f.homeV1(a, r.Host))
	case RouteSwitch, RouteSwitchV1:
		target := f.findMemberLocked(a, key, route == RouteSwitchV1)
		if target == nil {
			writeError(w, r, http.StatusNotFound, codeNoSuchUser, msgNoSuchHomeUser)
			return
		}
		// The PIN comes as a query parameter (python-plexapi, Plex Web) or a form field.
		if target.pin != "" && r.FormValue("pin") != target.pin {
			writeError(w, r, http.StatusForbidden, codeHomePIN, msgHomePIN)
			return
		}
		nt := f.mintLocked(target)
		u := f.userJSON(nt, r.Host)
		if route == RouteSwitchV1 {
			// v1 answers <user … authenticationToken="…"> (python-plexapi switchHomeUser).
			u["authenticationToken"] = nt
		}
		respond(w, r, http.StatusCreated, "user", u)
	}
}

// homeRoute recognises the Home paths; key is the {uuid} or {id} of a switch.
func homeRoute(r *http.Request) (route, key string) {
	p := r.URL.Path
	for _, h := range []struct{ prefix, list, sw string }{
		{apiPrefix + "/home/users", RouteHomeUsers, RouteSwitch},
		{"/api/home/users", RouteHomeUsersV1, RouteSwitchV1},
	} {
		switch {
		case (p == h.prefix || p == h.prefix+"/") && r.Method == http.MethodGet:
			return h.list, ""
		case strings.HasPrefix(p, h.prefix+"/") && strings.HasSuffix(p, "/switch") && r.Method == http.MethodPost:
			k := strings.TrimSuffix(strings.TrimPrefix(p, h.prefix+"/"), "/switch")
			if k != "" && !strings.Contains(k, "/") {
				return h.sw, k
			}
		}
	}
	return "", ""
}
