package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"codeberg.org/plexlink/plexlink/storage"
)

// The tools index is a keychain item beside the tools' tokens that names them. config.json
// names them too, but it can be lost or reset while the keychain keeps the tokens, and a
// keychain cannot be listed: without the index, `tools`, `tools revoke` and `unlink` would
// no longer know tokens that stay valid on plex.tv. It holds no secret.

type indexEntry struct {
	ClientID  string    `json:"client_id"`
	AccountID int64     `json:"account_id,omitempty"`
	Created   time.Time `json:"created"`
}

type toolIndex struct {
	V     int                   `json:"v"`
	Tools map[string]indexEntry `json:"tools"`
	// Users are the Plex Home users with a token here (keychain item "user:UUID"), by uuid,
	// with the tools given a token as that user ("tool:NAME@UUID"). See home.go.
	Users map[string]userEntry `json:"users,omitempty"`
}

// userEntry is a Home user with a token here. AccountID is the linked account whose Home
// the user was switched to from: a relink as another account drops the user.
type userEntry struct {
	ID        int64                 `json:"id"`
	Name      string                `json:"name"`
	AccountID int64                 `json:"account_id,omitempty"`
	Tools     map[string]indexEntry `json:"tools,omitempty"`
}

// loadIndex reads the index; none stored (or no index at all) is an empty one. An item
// that does not decode is treated as empty too: the config still names what it knows.
func (s *Service) loadIndex() (toolIndex, error) {
	idx := toolIndex{V: 1, Tools: map[string]indexEntry{}, Users: map[string]userEntry{}}
	if s.ToolIndex == nil {
		return idx, nil
	}
	raw, err := s.ToolIndex.Load()
	switch {
	case errors.Is(err, storage.ErrNotLinked):
		return idx, nil
	case err != nil:
		return idx, err
	}
	var stored toolIndex
	if json.Unmarshal([]byte(raw), &stored) == nil {
		if stored.Tools != nil {
			idx.Tools = stored.Tools
		}
		if stored.Users != nil {
			idx.Users = stored.Users
		}
	}
	return idx, nil
}

// updateIndex changes the index's tools under its own cross-process lock.
func (s *Service) updateIndex(ctx context.Context, fn func(map[string]indexEntry)) error {
	return s.editIndex(ctx, func(idx *toolIndex) { fn(idx.Tools) })
}

// editIndex changes the index under its own cross-process lock; an empty one is removed.
func (s *Service) editIndex(ctx context.Context, fn func(*toolIndex)) error {
	if s.ToolIndex == nil {
		return nil
	}
	if s.Config != nil {
		unlock, err := s.Config.Lock(ctx, "tools-index")
		if err != nil {
			return err
		}
		defer unlock()
	}
	idx, err := s.loadIndex()
	if err != nil {
		return err
	}
	fn(&idx)
	if len(idx.Tools) == 0 && len(idx.Users) == 0 {
		return s.ToolIndex.Delete()
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if err := s.ToolIndex.Save(string(b)); err != nil {
		return fmt.Errorf("recording the tool in the keychain's index: %w", err)
	}
	return nil
}

// knownTools merges the config's tools with the index's, writing back to the config any
// the index knows and the config lost (so a recreated config.json shows them again).
func (s *Service) knownTools() (map[string]storage.Tool, error) {
	out := map[string]storage.Tool{}
	var c storage.Config
	if s.Config != nil {
		var err error
		if c, err = s.Config.Load(); err != nil {
			return nil, err
		}
	}
	for name, t := range c.Tools {
		if t != nil && !t.Created.IsZero() {
			out[name] = *t
		}
	}
	idx, err := s.loadIndex()
	if err != nil {
		return nil, err
	}
	var lost []string
	for name, e := range idx.Tools {
		if _, ok := out[name]; !ok {
			out[name] = storage.Tool{ClientID: e.ClientID, Created: e.Created, AccountID: e.AccountID}
			lost = append(lost, name)
		}
	}
	if len(lost) > 0 && s.Config != nil {
		_, _ = s.Config.Update(func(c *storage.Config) error {
			for _, name := range lost {
				if c.Tools == nil {
					c.Tools = map[string]*storage.Tool{}
				}
				if t := c.Tools[name]; t == nil || t.Created.IsZero() {
					t := out[name]
					c.Tools[name] = &t
				}
			}
			return nil
		})
	}
	return out, nil
}

// toolNames are the known tools, sorted.
func toolNames(tools map[string]storage.Tool) []string {
	names := make([]string, 0, len(tools))
	for name := range tools {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
