package plextvtest

import (
	"net/http"
	"strconv"
	"strings"
)

// The tiny library every fake media server holds: a movie section and a show section,
// answered at /library, /library/sections and /library/sections/{id}/all as Plex Media
// Server does, in the shapes python-plexapi 4.16.1 reads (library.py Library and
// LibrarySection, video.py Movie <Video type="movie"> and Show <Directory type="show">).

// Section ids and titles of the fake library.
const (
	MovieSectionID    = 1
	ShowSectionID     = 2
	MovieSectionTitle = "Movies"
	ShowSectionTitle  = "TV Shows"
)

// libraryTime is the fixed "added/updated" time of everything in the fake library.
const libraryTime = 1700000000

type libItem struct {
	ratingKey     int
	title         string
	year          int
	summary       string
	seasons, eps  int // shows only
	durationMinut int // movies only
}

var (
	fakeMovies = []libItem{
		{ratingKey: 101, title: "Nosferatu", year: 1922, durationMinut: 94, summary: "A vampire takes an interest in a new home."},
		{ratingKey: 102, title: "The General", year: 1926, durationMinut: 78, summary: "A train engineer chases his stolen locomotive."},
		{ratingKey: 103, title: "Night of the Living Dead", year: 1968, durationMinut: 96, summary: "Strangers hold out in a farmhouse."},
	}
	fakeShows = []libItem{
		{ratingKey: 201, title: "The Cisco Kid", year: 1950, seasons: 6, eps: 156, summary: "A caballero and his sidekick ride the Old West."},
		{ratingKey: 202, title: "Sherlock Holmes", year: 1954, seasons: 1, eps: 39, summary: "The detective and Dr Watson in Paris-made episodes."},
	}
)

type section struct {
	id                      int
	title, typ, agent, scan string
	path                    string
	items                   []libItem
}

var fakeSections = []section{
	{MovieSectionID, MovieSectionTitle, "movie", "tv.plex.agents.movie", "Plex Movie", "/data/movies", fakeMovies},
	{ShowSectionID, ShowSectionTitle, "show", "tv.plex.agents.series", "Plex TV Series", "/data/tv", fakeShows},
}

// searchType is python-plexapi's utils.SEARCHTYPES for the two kinds: /all?type=N.
var searchType = map[string]int{"movie": 1, "show": 2}

func (m *MediaServer) sectionJSON(s section) map[string]any {
	return map[string]any{
		"@tag": "Directory", "allowSync": true, "art": "/:/resources/" + s.typ + "-fanart.jpg",
		"composite": "/library/sections/" + strconv.Itoa(s.id) + "/composite/" + strconv.Itoa(libraryTime),
		"filters":   true, "refreshing": false, "thumb": "/:/resources/" + s.typ + ".png",
		"key": strconv.Itoa(s.id), "type": s.typ, "title": s.title, "agent": s.agent, "scanner": s.scan,
		"language": "en-US", "uuid": m.sectionUUID(s.id), "updatedAt": libraryTime, "createdAt": libraryTime,
		"scannedAt": libraryTime, "content": true, "directory": true, "contentChangedAt": 1000 + s.id,
		"hidden":   0,
		"Location": []map[string]any{{"id": s.id, "path": s.path}},
	}
}

// sectionUUID is stable per server and section.
func (m *MediaServer) sectionUUID(id int) string {
	mid := m.MachineID + strings.Repeat("0", 32)
	return mid[0:8] + "-" + mid[8:12] + "-" + mid[12:16] + "-" + mid[16:20] + "-" + mid[20:28] + strconv.Itoa(1000+id)
}

func itemJSON(s section, it libItem) map[string]any {
	rk := strconv.Itoa(it.ratingKey)
	v := map[string]any{
		"ratingKey": rk, "key": "/library/metadata/" + rk, "guid": "plex://" + s.typ + "/fake" + rk,
		"type": s.typ, "title": it.title, "summary": it.summary, "year": it.year,
		"thumb":   "/library/metadata/" + rk + "/thumb/" + strconv.Itoa(libraryTime),
		"addedAt": libraryTime, "updatedAt": libraryTime,
	}
	if s.typ == "movie" {
		v["@tag"] = "Video"
		v["duration"] = it.durationMinut * 60000
		v["originallyAvailableAt"] = strconv.Itoa(it.year) + "-01-01"
	} else {
		v["@tag"] = "Directory"
		v["key"] = "/library/metadata/" + rk + "/children"
		v["childCount"] = it.seasons
		v["leafCount"] = it.eps
		v["viewedLeafCount"] = 0
	}
	return v
}

// serveLibrary answers the library paths; false when path is not one of them.
func (m *MediaServer) serveLibrary(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case p == "/library":
		respondPMS(w, r, map[string]any{
			"size": 2, "allowSync": false, "identifier": "com.plexapp.plugins.library",
			"mediaTagPrefix": "/system/bundle/media/flags/", "mediaTagVersion": libraryTime,
			"title1": "Plex Library", "title2": "",
			"Directory": []map[string]any{
				{"key": "sections", "title": "Library Sections"},
				{"key": "recentlyAdded", "title": "Recently Added Content"},
			},
		})
	case p == "/library/sections":
		dirs := []map[string]any{}
		for _, s := range fakeSections {
			dirs = append(dirs, m.sectionJSON(s))
		}
		respondPMS(w, r, map[string]any{
			"size": len(dirs), "allowSync": false, "title1": "Plex Library", "Directory": dirs,
		})
	case strings.HasPrefix(p, "/library/sections/") && strings.HasSuffix(p, "/all"):
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, "/library/sections/"), "/all"))
		for _, s := range fakeSections {
			if s.id == id {
				m.serveSectionAll(w, r, s)
				return true
			}
		}
		respondPMSStatus(w, r, http.StatusNotFound, map[string]any{"size": 0})
	default:
		return false
	}
	return true
}

// serveSectionAll lists a section, with ?type=N (other types: nothing) and paging by
// X-Plex-Container-Start/Size (header or query), as python-plexapi's fetchItems pages.
func (m *MediaServer) serveSectionAll(w http.ResponseWriter, r *http.Request, s section) {
	items := s.items
	if t := r.URL.Query().Get("type"); t != "" && t != strconv.Itoa(searchType[s.typ]) {
		items = nil
	}
	total := len(items)
	start, size := containerParam(r, "X-Plex-Container-Start", 0), containerParam(r, "X-Plex-Container-Size", total)
	start = min(max(start, 0), total)
	end := min(start+max(size, 0), total)
	md := []map[string]any{}
	for _, it := range items[start:end] {
		md = append(md, itemJSON(s, it))
	}
	respondPMS(w, r, map[string]any{
		"size": len(md), "totalSize": total, "offset": start, "allowSync": true,
		"art": "/:/resources/" + s.typ + "-fanart.jpg", "identifier": "com.plexapp.plugins.library",
		"librarySectionID": s.id, "librarySectionTitle": s.title, "librarySectionUUID": m.sectionUUID(s.id),
		"mediaTagPrefix": "/system/bundle/media/flags/", "mediaTagVersion": libraryTime,
		"title1": s.title, "title2": "All " + s.title, "viewGroup": s.typ,
		"Metadata": md,
	})
}

func containerParam(r *http.Request, name string, def int) int {
	v := r.Header.Get(name)
	if v == "" {
		v = r.URL.Query().Get(name)
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return def
}

// respondPMS answers as Plex Media Server: {"MediaContainer":{…}} in JSON,
// <MediaContainer …>…</MediaContainer> in XML (the default).
func respondPMS(w http.ResponseWriter, r *http.Request, mc map[string]any) {
	respondPMSStatus(w, r, http.StatusOK, mc)
}

func respondPMSStatus(w http.ResponseWriter, r *http.Request, status int, mc map[string]any) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"MediaContainer": jsonOnly(mc)})
		return
	}
	writeXML(w, status, xmlDoc("MediaContainer", mc))
}
