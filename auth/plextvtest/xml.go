package plextvtest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Content negotiation as plex.tv and Plex Media Server do it: JSON only when the request's
// Accept asks for it, XML otherwise (python-plexapi never asks for JSON).
//
// Every answer is built once as JSON-shaped values (map[string]any, []any, scalars) and
// rendered either way. The XML rendering follows what python-plexapi 4.16.1 reads
// (plexapi/myplex.py, server.py, library.py at commit a8d051f2):
//   - scalars become attributes with the JSON names; null is left out; booleans are "1"/"0"
//     (python-plexapi's utils.cast(bool, …) takes "1"/"0"/"true"/"false", nothing else);
//   - an object becomes a child element of the same name (<subscription …>, <profile …>);
//   - a list under a lower-case key is wrapped, plex.tv style: connections →
//     <connections><connection …/></connections>; a list of strings becomes elements with an
//     id attribute (<entitlements><entitlement id="…"/></entitlements>, read by listAttrs);
//   - a list under a capitalised key repeats the element, Plex Media Server style
//     (<Directory …/><Directory …/>, <Location …/>);
//   - a key starting with "@" is for XML only: "@tag" renames the element (a library item is
//     "Metadata" in JSON but <Video> or <Directory> in XML); JSON never shows these keys.

// wantsJSON reports whether the request's Accept asks for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "application/json")
}

// respond writes v as JSON or, under the element root, as XML.
func respond(w http.ResponseWriter, r *http.Request, status int, root string, v any) {
	if r == nil || wantsJSON(r) {
		writeJSON(w, status, jsonOnly(v))
		return
	}
	writeXML(w, status, xmlDoc(root, v))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers plex.tv's error body: {"errors":[{code,message,status}]} in JSON,
// <errors><error code message status/></errors> in XML.
func writeError(w http.ResponseWriter, r *http.Request, status, code int, msg string) {
	respond(w, r, status, "errors", map[string]any{
		"errors": []map[string]any{{"code": code, "message": msg, "status": status}},
	})
}

// xmlDoc renders v under root. A map whose only key is root (the error body) is unwrapped;
// a list becomes <root size="N"> with one element per item, named by singular(root) or,
// for MediaContainer, by the item's "@tag".
func xmlDoc(root string, v any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	switch t := v.(type) {
	case map[string]any:
		if inner, ok := t[root]; ok && len(t) == 1 {
			writeList(&b, root, asList(inner), true)
		} else {
			writeElem(&b, root, t)
		}
	default:
		items := asList(v)
		b.WriteString("<" + root + ` size="` + strconv.Itoa(len(items)) + `">`)
		for _, it := range items {
			writeItem(&b, singular(root), it)
		}
		b.WriteString("</" + root + ">")
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case []map[string]any:
		out := make([]any, len(t))
		for i, m := range t {
			out[i] = m
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out
	}
	return nil
}

func writeList(b *bytes.Buffer, key string, items []any, wrapped bool) {
	if wrapped {
		b.WriteString("<" + key + ">")
	}
	for _, it := range items {
		writeItem(b, singular(key), it)
	}
	if wrapped {
		b.WriteString("</" + key + ">")
	}
}

func writeItem(b *bytes.Buffer, tag string, it any) {
	if m, ok := it.(map[string]any); ok {
		writeElem(b, tag, m)
		return
	}
	writeElem(b, tag, map[string]any{"id": it})
}

func writeElem(b *bytes.Buffer, tag string, m map[string]any) {
	if t, ok := m["@tag"].(string); ok {
		tag = t
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString("<" + tag)
	var kids []string
	for _, k := range keys {
		if strings.HasPrefix(k, "@") {
			continue
		}
		s, ok := attrValue(m[k])
		if !ok {
			kids = append(kids, k)
			continue
		}
		if m[k] == nil {
			continue
		}
		b.WriteString(" " + k + `="`)
		_ = xml.EscapeText(b, []byte(s))
		b.WriteString(`"`)
	}
	if len(kids) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for _, k := range kids {
		switch t := m[k].(type) {
		case map[string]any:
			writeElem(b, k, t)
		default:
			writeList(b, k, asList(t), k[0] < 'A' || k[0] > 'Z')
		}
	}
	b.WriteString("</" + tag + ">")
}

// attrValue renders a scalar as an attribute value; ok is false for objects and lists.
func attrValue(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", true
	case string:
		return t, true
	case bool:
		if t {
			return "1", true
		}
		return "0", true
	case int, int64, int32, float64:
		return fmt.Sprint(t), true
	}
	return "", false
}

// singular names the elements of a wrapped list.
func singular(key string) string {
	switch key {
	case "MediaContainer":
		return "resource"
	case "entries", "resources", "users", "connections", "features", "entitlements", "roles", "services", "errors":
		return strings.TrimSuffix(key, "s")
	}
	return key
}

// jsonOnly drops the XML-only "@" keys, copying what it changes.
func jsonOnly(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if !strings.HasPrefix(k, "@") {
				out[k] = jsonOnly(e)
			}
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonOnly(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonOnly(e)
		}
		return out
	}
	return v
}
