package session

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = dbus.ObjectPath("/org/freedesktop/secrets")
	secretService   = "org.freedesktop.Secret.Service"
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	// gnome-keyring's private interface: the only way to unlock without a GUI prompt.
	gkInternal = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
)

// busConfig lists no service directories, so the bus can activate nothing: a name such as
// org.freedesktop.secrets is owned only while our own gnome-keyring-daemon runs, and no
// GUI prompter can ever be started.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func (s *Session) startBus() error {
	socket := filepath.Join(s.vars["XDG_RUNTIME_DIR"], "bus")
	if len(socket) >= 108 { // sun_path limit
		return fmt.Errorf("session: socket path %q too long; set TMPDIR to a shorter directory", socket)
	}
	conf := filepath.Join(s.logDir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, socket)), 0o600); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	defer r.Close()
	d, err := StartDaemon(s.logDir, "dbus-daemon", s.EnvWith(), nil, w,
		"--config-file="+conf, "--nofork", "--print-address")
	w.Close()
	if err != nil {
		return err
	}
	s.bus = d

	// dbus-daemon prints its address once it listens.
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			return d.Failure("printed no address")
		}
		s.BusAddress = a
		return nil
	case <-time.After(s.startTimeout):
		return d.Failure(fmt.Sprintf("printed no address within %v", s.startTimeout))
	}
}

// connect opens a private connection to the session bus (never the shared godbus one,
// which go-keyring uses).
func (s *Session) connect() (*dbus.Conn, error) {
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		return nil, fmt.Errorf("session: connecting to %s: %w", s.BusAddress, err)
	}
	return conn, nil
}

// waitLoginUnlocked waits until org.freedesktop.secrets has an owner and the login
// collection exists and is unlocked.
func (s *Session) waitLoginUnlocked(kr *Daemon) error {
	conn, err := s.connect()
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(s.startTimeout)
	var last error
	for time.Now().Before(deadline) {
		if kr.Exited() {
			return kr.Failure("exited during start-up")
		}
		var owned bool
		owned, last = nameOwned(conn)
		if last == nil && !owned {
			last = fmt.Errorf("%s has no owner", secretsName)
		}
		if last == nil {
			var locked bool
			locked, last = collectionLocked(conn)
			if last == nil && locked {
				last = fmt.Errorf("login collection is locked")
			}
			if last == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return kr.Failure(fmt.Sprintf("not ready within %v: %v", s.startTimeout, last))
}

func nameOwned(conn *dbus.Conn) (bool, error) {
	var owned bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned)
	return owned, err
}

func collectionLocked(conn *dbus.Conn) (bool, error) {
	v, err := conn.Object(secretsName, loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return false, err
	}
	locked, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("Locked property has type %T", v.Value())
	}
	return locked, nil
}

// LockCollection locks the login collection over D-Bus, as a screen locker would.
func (s *Session) LockCollection() error {
	conn, err := s.connect()
	if err != nil {
		return err
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err = conn.Object(secretsName, secretsPath).Call(secretService+".Lock", 0,
		[]dbus.ObjectPath{loginCollection}).Store(&locked, &prompt)
	if err != nil {
		return fmt.Errorf("session: Lock: %w", err)
	}
	if l, err := collectionLocked(conn); err != nil || !l {
		return fmt.Errorf("session: login collection still unlocked after Lock (err %v)", err)
	}
	return nil
}

// UnlockCollection unlocks the login collection with its password, without a prompt.
func (s *Session) UnlockCollection(password string) error {
	conn, err := s.connect()
	if err != nil {
		return err
	}
	defer conn.Close()
	svc := conn.Object(secretsName, secretsPath)
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call(secretService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		return fmt.Errorf("session: OpenSession: %w", err)
	}
	defer conn.Object(secretsName, session).Call("org.freedesktop.Secret.Session.Close", 0)
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(password), "text/plain"}
	if err := svc.Call(gkInternal+".UnlockWithMasterPassword", 0, loginCollection, secret).Err; err != nil {
		return fmt.Errorf("session: UnlockWithMasterPassword: %w", err)
	}
	if l, err := collectionLocked(conn); err != nil || l {
		return fmt.Errorf("session: login collection still locked after unlock (err %v)", err)
	}
	return nil
}

// silentPrompter accepts gnome-keyring's prompt requests and never shows or answers
// anything: a user who walked away from an unlock dialog.
type silentPrompter struct{}

func (silentPrompter) BeginPrompting(callback dbus.ObjectPath) *dbus.Error { return nil }
func (silentPrompter) PerformPrompt(callback dbus.ObjectPath, typ string, props map[string]dbus.Variant, exchange string) *dbus.Error {
	return nil
}
func (silentPrompter) StopPrompting(callback dbus.ObjectPath) *dbus.Error { return nil }

// HangPrompts installs a GUI prompter that never answers, so an unlock of a locked
// collection blocks forever (without it, gnome-keyring finds no prompter and fails at
// once). Call release to remove it; pending prompts then fail.
func (s *Session) HangPrompts() (release func(), err error) {
	conn, err := s.connect()
	if err != nil {
		return nil, err
	}
	const name, path = "org.gnome.keyring.SystemPrompter", dbus.ObjectPath("/org/gnome/keyring/Prompter")
	if err := conn.Export(silentPrompter{}, path, "org.gnome.keyring.internal.Prompter"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session: exporting the prompter: %w", err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("session: owning %s: reply %v, %v", name, reply, err)
	}
	return func() { conn.Close() }, nil
}
