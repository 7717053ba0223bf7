package plextvtest

import (
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
	route, pinID := routeOf(r)
	var fault *Fault
	if route != "" {
		f.counts[route]++
		f.lastHeader[route] = r.Header.Clone()
		fault = f.popFaultLocked(route)
	}
	f.mu.Unlock()

	if fault != nil && f.applyFault(w, r, *fault, func(w http.ResponseWriter) { f.serve(w, r, route, pinID) }) {
		return
	}
	f.serve(w, r, route, pinID)
}

func routeOf(r *http.Request) (route string, pinID string) {
	p := r.URL.Path
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
var tokenOnly = map[string]bool{RouteUser: true, RouteSignOut: true, RoutePing: true, RouteResources: true}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, route, pinID string) {
	switch route {
	case RouteLinkPage, RouteLinkForm:
		f.serveLinkPage(w, r)
		return
	case RouteAvatar:
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(avatarPNG())
		return
	case "":
		writeError(w, http.StatusNotFound, 404, "Not Found")
		return
	}
	clientID := r.Header.Get("X-Plex-Client-Identifier")
	if clientID == "" && !tokenOnly[route] {
		writeError(w, http.StatusBadRequest, 1000, "X-Plex-Client-Identifier is missing")
		return
	}
	tok := r.Header.Get("X-Plex-Token")
	qrBase := "http://" + r.Host + apiPrefix

	f.mu.Lock()
	defer f.mu.Unlock()
	switch route {
	case RouteCreatePin:
		p := f.newPinLocked(parseBool(r.URL.Query().Get("strong")), clientID, r.Header.Get("X-Plex-Product"))
		writeJSON(w, http.StatusCreated, f.pinJSON(p, qrBase))
	case RoutePin:
		id, _ := strconv.ParseInt(pinID, 10, 64)
		p := f.pins[id]
		// Another client's pin is indistinguishable from a missing one.
		if p == nil || p.clientID != clientID {
			writeError(w, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		if !f.now().Before(p.expires) && !f.answerExpired {
			delete(f.pins, id)
			writeError(w, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		writeJSON(w, http.StatusOK, f.pinJSON(p, qrBase))
	case RouteLinkPin:
		if !f.tokens[tok] {
			writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		if _, err := f.approveLocked(r.FormValue("code"), false, f.accountOf(tok)); err != nil {
			writeError(w, http.StatusNotFound, 1020, errUnknownCode.msg)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case RoutePing:
		if !f.tokens[tok] {
			writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"pong": true})
	case RouteResources:
		if !f.tokens[tok] {
			writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		writeJSON(w, http.StatusOK, f.resourcesJSON())
	case RouteUser:
		if !f.tokens[tok] {
			writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		writeJSON(w, http.StatusOK, f.userJSON(tok, r.Host))
	case RouteSignOut:
		if !f.tokens[tok] {
			writeError(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		delete(f.tokens, tok)
		w.WriteHeader(http.StatusNoContent)
	}
}
