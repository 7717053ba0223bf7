package tray

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"

	"codeberg.org/plexlink/plexlink/internal/winproto"
)

// ProcessLauncher starts exe with args (plus --link or --unlink for those first commands) as
// the window process,
// speaking winproto on its stdin/stdout. Its stderr is the tray's (one log). env is the
// child's whole environment: it must carry what selects the keychain service and servers,
// never the token (the window reads that from the keychain itself).
func ProcessLauncher(exe string, args, env []string, log *slog.Logger) Launcher {
	return func(first string) (Window, error) {
		argv := append([]string(nil), args...)
		switch first {
		case winproto.CmdLink:
			argv = append(argv, "--link")
		case winproto.CmdUnlink:
			argv = append(argv, "--unlink")
		}
		cmd := exec.Command(exe, argv...)
		cmd.Env = env
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting the window process: %w", err)
		}
		p := &process{cmd: cmd, stdin: stdin, events: make(chan winproto.Message, 16), log: log}
		go p.read(stdout)
		log.Debug("window process started", "pid", cmd.Process.Pid, "start", first)
		return p, nil
	}
}

type process struct {
	cmd    *exec.Cmd
	log    *slog.Logger
	events chan winproto.Message

	mu     sync.Mutex
	stdin  io.WriteCloser
	closed bool
	err    error
}

func (p *process) Send(m winproto.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("the window process has ended")
	}
	return winproto.Write(p.stdin, m)
}

func (p *process) Events() <-chan winproto.Message { return p.events }

func (p *process) Exited() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *process) Kill() { _ = p.cmd.Process.Kill() }

// read forwards events until the child closes its stdout, then reaps it.
func (p *process) read(stdout io.Reader) {
	err := winproto.Read(stdout, func(m winproto.Message) {
		if m.Event != "" {
			p.events <- m
		}
	}, func(line string) {
		p.log.Debug("the window printed a line that is not the protocol", "len", len(line))
	})
	if err != nil {
		p.log.Debug("reading from the window process", "err", err)
	}
	// Whatever remains (a protocol error ended the loop) must not block the child.
	_, _ = io.Copy(io.Discard, stdout)
	werr := p.cmd.Wait()
	p.mu.Lock()
	p.closed, p.err = true, werr
	_ = p.stdin.Close()
	p.mu.Unlock()
	close(p.events)
}
