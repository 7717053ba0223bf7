package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// StartSecretService starts gnome-keyring-daemon on the session bus (StartSession does this;
// call it again after StopSecretService) and waits until the login collection is unlocked.
func (s *Session) StartSecretService() error {
	s.mu.Lock()
	running := s.keyring != nil
	s.mu.Unlock()
	if running {
		return errors.New("session: gnome-keyring-daemon is already running")
	}
	// The password on stdin (then EOF) creates or unlocks the login keyring; DBUS_SESSION_BUS_ADDRESS
	// comes from Env, never from the parent.
	d, err := StartDaemon(s.logDir, "gnome-keyring-daemon", s.EnvWith(), strings.NewReader(s.Password), nil,
		"--foreground", "--unlock", "--components=secrets")
	if err != nil {
		return err
	}
	if err := s.waitLoginUnlocked(d); err != nil {
		_ = d.Stop()
		return err
	}
	s.mu.Lock()
	s.keyring = d
	s.mu.Unlock()
	return nil
}

// StopSecretService kills gnome-keyring-daemon only, leaving the bus up: the state of a
// desktop with no Secret Service. It returns once the name has no owner.
func (s *Session) StopSecretService() error {
	s.mu.Lock()
	d := s.keyring
	s.keyring = nil
	s.mu.Unlock()
	if d == nil {
		return nil
	}
	err := d.Stop()
	conn, cerr := s.connect()
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	defer conn.Close()
	for deadline := time.Now().Add(s.startTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if owned, e := nameOwned(conn); e == nil && !owned {
			return err
		}
	}
	return errors.Join(err, fmt.Errorf("session: %s still owned after stopping gnome-keyring", secretsName))
}

// SecretToolLookup runs `secret-tool lookup service <service> username token` (the account
// token's item) in the session and returns its output unchanged.
func (s *Session) SecretToolLookup(service string) (string, error) {
	return s.SecretToolLookupUser(service, "token")
}

// SecretToolLookupUser is SecretToolLookup for another item of the service, e.g. "tool:NAME".
func (s *Session) SecretToolLookupUser(service, user string) (string, error) {
	return s.secretTool("", "lookup", "service", service, "username", user)
}

// SecretToolStore runs `secret-tool store --label=x service <service> username <user>`
// with secret on stdin.
func (s *Session) SecretToolStore(service, user, secret string) error {
	_, err := s.secretTool(secret, "store", "--label=x", "service", service, "username", user)
	return err
}

func (s *Session) secretTool(stdin string, args ...string) (string, error) {
	if err := LookPath("secret-tool", "libsecret-tools"); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "secret-tool", args...)
	cmd.Env = s.EnvWith()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		// stdout may hold a secret; only stderr goes into the error.
		return "", fmt.Errorf("session: secret-tool %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// SecretsOwned reports whether org.freedesktop.secrets currently has an owner.
func (s *Session) SecretsOwned() (bool, error) {
	conn, err := s.connect()
	if err != nil {
		return false, err
	}
	defer conn.Close()
	return nameOwned(conn)
}

// Pids returns the process ids of the running daemons (for leak checks).
func (s *Session) Pids() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pids []int
	for _, d := range []*Daemon{s.bus, s.keyring} {
		if d != nil {
			pids = append(pids, d.cmd.Process.Pid)
		}
	}
	return pids
}
