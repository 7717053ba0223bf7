package plextvtest

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

const apiPrefix = "/api/v2"

// ServeHTTP serves the API under /api/v2 and the approval page at /link.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.shutdown {
		f.mu.Unlock()
		http.Error(w, "fake plex.tv is shutting down", http.StatusServiceUnavailable)
		return
	}
	f.inflight.Add(1)
	defer f.inflight.Done()
	route, key := routeOf(r)
	var fault *Fault
	if route != "" {
		f.counts[route]++
		f.lastHeader[route] = r.Header.Clone()
		fault = f.popFaultLocked(route)
	}
	f.mu.Unlock()

	if fault != nil && f.applyFault(w, r, *fault, func(w http.ResponseWriter) { f.serve(w, r, route, key) }) {
		return
	}
	f.serve(w, r, route, key)
}

// routeOf names the request's route; key is the {id} of a pin or the {uuid}/{id} of a
// Home switch.
func routeOf(r *http.Request) (route string, key string) {
	p := r.URL.Path
	if route, key := homeRoute(r); route != "" {
		return route, key
	}
	switch {
	case p == "/link" || p == "/link/":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return RouteLinkPage, ""
		case http.MethodPost:
			return RouteLinkForm, ""
		}
	case strings.HasPrefix(p, "/users/") && strings.HasSuffix(p, "/avatar") && r.Method == http.MethodGet:
		return RouteAvatar, ""
	case p == apiPrefix+"/pins" && r.Method == http.MethodPost:
		return RouteCreatePin, ""
	case p == apiPrefix+"/pins/link" && r.Method == http.MethodPut:
		return RouteLinkPin, ""
	case strings.HasPrefix(p, apiPrefix+"/pins/") && r.Method == http.MethodGet:
		return RoutePin, strings.TrimPrefix(p, apiPrefix+"/pins/")
	case p == apiPrefix+"/user" && r.Method == http.MethodGet:
		return RouteUser, ""
	case p == apiPrefix+"/users/signout" && r.Method == http.MethodDelete:
		return RouteSignOut, ""
	case p == apiPrefix+"/ping" && r.Method == http.MethodGet:
		return RoutePing, ""
	case p == apiPrefix+"/resources" && r.Method == http.MethodGet:
		return RouteResources, ""
	}
	return "", ""
}

// tokenOnly routes are answered with just a valid X-Plex-Token, as plex.tv does for the
// plex.tv SDK's getTokenDetails and for curl one-liners; the PIN calls need a client id.
var tokenOnly = map[string]bool{RouteUser: true, RouteSignOut: true, RoutePing: true, RouteResources: true,
	RouteHomeUsers: true, RouteSwitch: true, RouteHomeUsersV1: true, RouteSwitchV1: true}

// Every answer is JSON when the request's Accept asks for it and XML otherwise, as on
// plex.tv (see xml.go for the element and attribute names).
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, route, key string) {
	switch route {
	case RouteLinkPage, RouteLinkForm:
		f.serveLinkPage(w, r)
		return
	case RouteAvatar:
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(avatarPNG())
		return
	case "":
		writeError(w, r, http.StatusNotFound, 404, "Not Found")
		return
	}
	clientID := r.Header.Get("X-Plex-Client-Identifier")
	if clientID == "" && !tokenOnly[route] {
		writeError(w, r, http.StatusBadRequest, 1000, "X-Plex-Client-Identifier is missing")
		return
	}
	tok := r.Header.Get("X-Plex-Token")
	qrBase := "http://" + r.Host + apiPrefix

	f.mu.Lock()
	defer f.mu.Unlock()
	switch route {
	case RouteCreatePin:
		p := f.newPinLocked(parseBool(r.URL.Query().Get("strong")), clientID, r.Header.Get("X-Plex-Product"))
		respond(w, r, http.StatusCreated, "pin", f.pinJSON(p, qrBase))
	case RoutePin:
		id, _ := strconv.ParseInt(key, 10, 64)
		p := f.pins[id]
		// Another client's pin is indistinguishable from a missing one.
		if p == nil || p.clientID != clientID {
			writeError(w, r, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		if !f.now().Before(p.expires) && !f.answerExpired {
			delete(f.pins, id)
			writeError(w, r, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		respond(w, r, http.StatusOK, "pin", f.pinJSON(p, qrBase))
	default:
		if !f.tokens[tok] {
			writeError(w, r, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		f.serveWithToken(w, r, route, key, tok)
	}
}

// serveWithToken answers the routes that need a valid token (checked by the caller).
func (f *Fake) serveWithToken(w http.ResponseWriter, r *http.Request, route, key, tok string) {
	switch route {
	case RouteLinkPin:
		if _, err := f.approveLocked(r.FormValue("code"), false, f.accountOf(tok)); err != nil {
			writeError(w, r, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case RoutePing:
		if !wantsJSON(r) {
			// python-plexapi's MyPlexAccount.ping() reads the root element's text.
			writeXML(w, http.StatusOK, []byte(xml.Header+"<pong>true</pong>\n"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"pong": true})
	case RouteResources:
		respond(w, r, http.StatusOK, "MediaContainer", f.resourcesJSON(f.accountOf(tok)))
	case RouteUser:
		respond(w, r, http.StatusOK, "user", f.userJSON(tok, r.Host))
	case RouteSignOut:
		delete(f.tokens, tok)
		w.WriteHeader(http.StatusNoContent)
	default:
		f.serveHome(w, r, route, key, tok)
	}
}
