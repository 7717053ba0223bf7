package plextvtest

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
)

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link a device · fake plex.tv</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}.error{color:#b00}.ok{color:#070}
input{font-size:1.5em;width:6em;text-transform:uppercase;letter-spacing:.2em}</style></head>
<body><h1>Link a device</h1>
{{if .Message}}<p id="message" class="{{.Class}}">{{.Message}}</p>{{end}}
<form method="post" action="/link">
<label for="code">Enter the 4-character code shown by the app</label><br>
<input id="code" name="code" value="{{.Code}}" maxlength="4" autocomplete="off" autofocus>
<button id="approve" type="submit">Approve</button>
</form>
<p>Signed in as <b>{{.Username}}</b>. This is a fake plex.tv for tests and demos.</p>
</body></html>
`))

type linkView struct {
	Code, Message, Class, Username string
}

// serveLinkPage is plex.tv/link: GET shows the form (pre-filled from ?pin=), POST approves
// the code for the demo account.
func (f *Fake) serveLinkPage(w http.ResponseWriter, r *http.Request) {
	v := linkView{Username: f.user.username}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		v.Code = strings.TrimSpace(r.FormValue("code"))
		f.mu.Lock()
		_, err := f.approveLocked(v.Code, true, nil)
		f.mu.Unlock()
		if err == nil {
			v.Message, v.Class = "Code "+v.Code+" is linked to "+f.user.username+". You can close this page and return to the app.", "ok"
		} else {
			status, v.Message, v.Class = pageError(err, v.Code)
		}
	} else if code := strings.TrimSpace(r.URL.Query().Get("pin")); code != "" {
		v.Code = code
		f.mu.Lock()
		p := f.findCodeLocked(code)
		live := p != nil && f.now().Before(p.expires)
		strong := p != nil && p.strong
		f.mu.Unlock()
		switch {
		case !live:
			_, v.Message, v.Class = pageError(errUnknownCode, code)
		case strong:
			_, v.Message, v.Class = pageError(errStrongCode, code)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = linkPage.Execute(w, v)
	}
}

func pageError(err error, code string) (int, string, string) {
	var ae *approveError
	if !errors.As(err, &ae) {
		return http.StatusInternalServerError, err.Error(), "error"
	}
	if ae == errUnknownCode {
		return ae.status, "Code " + code + " was not found or has expired. Ask the app for a fresh code.", "error"
	}
	return ae.status, ae.msg + ".", "error"
}
