package cli_test

// In-process tests of what is not an account command: version, help, unknown commands and
// flags, shell completion, fake-server's flags and demo (see inprocess_test.go).

import (
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"codeberg.org/plexlink/plexlink/auth/plextvtest"
)

// completeErr is what cobra's `__complete` says on stderr (the shell scripts drop it).
var completeErr = []string{"Completion ended with directive: ShellCompDirectiveNoFileComp"}

func TestInProcessRoot(t *testing.T) {
	t.Parallel()
	version := regexp.MustCompile(`^plexlink \S+ \(go\S+, ` + runtime.GOOS + "/" + runtime.GOARCH + `\)\n$`)
	for _, c := range []struct {
		args []string
		code int
		out  []string
		err  []string
	}{
		{args: []string{"help"}, out: []string{"Usage:", "Your Plex account:", "Handing Plex to other tools:", "link", "exec", "completion"}},
		{args: nil, out: []string{"Usage:", "Your Plex account:"}},
		{args: []string{"--help"}, out: []string{"Usage:", "Your Plex account:"}},
		{args: []string{"help", "env"}, out: []string{"--format", "eval \"$(plexlink env --server"}},
		{args: []string{"link", "--help"}, out: []string{"--no-browser", "--strong"}},
		{args: []string{"lnk"}, code: 2, err: []string{`unknown command "lnk" for "plexlink"`, "Did you mean this?\n\tlink"}},
		{args: []string{"tokn"}, code: 2, err: []string{"Did you mean this?\n\ttoken"}},
		{args: []string{"status", "--bogus"}, code: 2, err: []string{"unknown flag: --bogus", "Usage:", "plexlink status"}},
		{args: []string{"status", "now"}, code: 2, err: []string{`unexpected argument "now"`}},
		{args: []string{"completion", "bash"}, out: []string{"__start_plexlink"}},
		{args: []string{"completion", "zsh"}, out: []string{"#compdef plexlink"}},
		{args: []string{"completion", "fish"}, out: []string{"complete -c plexlink"}},
		{args: []string{"completion", "powershell"}, out: []string{"Register-ArgumentCompleter"}},
		{args: []string{"__complete", "env", "--format", ""}, out: []string{"sh\nfish\npowershell\ndotenv\njson\n:4\n"}, err: completeErr},
		{args: []string{"__complete", "st"}, out: []string{"status\t", "\n:4\n"}, err: completeErr},
		{args: []string{"fake-server", "--bogus"}, code: 2, err: []string{"flag provided but not defined: -bogus"}},
		{args: []string{"fake-server", "--pin-ttl", "0"}, code: 2, err: []string{"--pin-ttl must be at least 1s"}},
		{args: []string{"fake-server", "extra"}, code: 2, err: []string{`fake-server: unexpected argument "extra"`}},
		{args: []string{"fake-server", "--hostile-ca", "x.pem"}, code: 2, err: []string{"--hostile-ca needs --hostile"}},
		{args: []string{"fake-server", "--addr", "192.0.2.1:0"}, code: 2, err: []string{"--allow-remote"}},
	} {
		t.Run(strings.Join(append([]string{"plexlink"}, c.args...), " "), func(t *testing.T) {
			t.Parallel()
			p := newInproc(t)
			r := p.run(c.args...)
			r.expect(t, strings.Join(c.args, " "), c.code, c.out, c.err, true)
		})
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := newInproc(t).run(args...)
		r.expect(t, args[0], 0, nil, nil, true)
		if !version.MatchString(r.stdout) {
			t.Errorf("plexlink %s printed %q, want %s", args[0], r.stdout, version)
		}
	}
}

// completions are the candidates `plexlink __complete` printed, without descriptions
// and the directive line.
func completions(stdout string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
			name, _, _ := strings.Cut(l, "\t")
			out = append(out, name)
		}
	}
	return out
}

func TestInProcessCompletion(t *testing.T) {
	t.Parallel()
	p := linkedInproc(t)
	// No tool has a token yet: nothing to offer.
	r := p.run("__complete", "token", "--tool", "")
	r.expect(t, "__complete token --tool ''", 0, nil, completeErr, true)
	if got := completions(r.stdout); len(got) != 0 {
		t.Errorf("tools offered before any has a token: %q", got)
	}
	for _, tool := range []string{"kometa", "tautulli"} {
		p.run("token", "--tool", tool).expect(t, "token --tool "+tool, 0, nil, nil, false)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "token", "--tool", ""}, []string{"kometa", "tautulli"}},
		{[]string{"__complete", "exec", "--tool", "k"}, []string{"kometa"}},
		{[]string{"__complete", "tools", "revoke", ""}, []string{"kometa", "tautulli"}},
		{[]string{"__complete", "tools", "revoke", "kometa", ""}, nil},
		{[]string{"__complete", "env", "--server", ""}, []string{plextvtest.OwnedServerName, plextvtest.SharedServerName, plextvtest.OfflineServerName}},
		{[]string{"__complete", "token", "--server", "liv"}, []string{plextvtest.OwnedServerName}},
	} {
		r := p.run(c.args...)
		r.expect(t, strings.Join(c.args, " "), 0, nil, completeErr, true)
		got := completions(r.stdout)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("plexlink %q offered %q, want %q", c.args, got, want)
		}
		p.noToken("completion", r.stdout)
	}
	// Not linked: no servers, and no error on the terminal in the middle of a Tab.
	r = newInproc(t).run("__complete", "env", "--server", "")
	r.expect(t, "__complete env --server '', not linked", 0, nil, completeErr, true)
	if got := completions(r.stdout); len(got) != 0 {
		t.Errorf("servers offered without a link: %q", got)
	}
}

func TestInProcessDemo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		args  []string
		vars  map[string]string
		exit  int // the desktop app's
		code  int
		err   []string
		start []string // the desktop app's arguments; nil: not started
	}{
		{name: "default", args: []string{"demo"}, start: []string{"--demo", "--pin-ttl", plextvtest.DefaultPinTTL.String()}},
		{name: "pin-ttl", args: []string{"demo", "--pin-ttl", "30s"}, start: []string{"--demo", "--pin-ttl", "30s"}},
		{name: "app's exit code", args: []string{"demo"}, exit: 3, code: 3, start: []string{"--demo", "--pin-ttl", plextvtest.DefaultPinTTL.String()}},
		{name: "pin-ttl too short", args: []string{"demo", "--pin-ttl", "500ms"}, code: 2, err: []string{"demo: --pin-ttl must be at least 1s"}},
		{name: "server-url", args: []string{"--server-url", "http://127.0.0.1:1/api/v2", "demo"}, code: 2, err: []string{"--server-url and --link-url do not apply"}},
		{name: "link-url from the environment", args: []string{"demo"}, vars: map[string]string{"PLEXLINK_LINK_URL": "http://127.0.0.1:1/link"}, code: 2, err: []string{"do not apply"}},
		{name: "arguments", args: []string{"demo", "now"}, code: 2, err: []string{`unexpected argument "now"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newInproc(t)
			p.desktopExit = c.exit
			for k, v := range c.vars {
				p.vars[k] = v
			}
			p.run(c.args...).expect(t, strings.Join(c.args, " "), c.code, nil, c.err, true)
			var want [][]string
			if c.start != nil {
				want = [][]string{c.start}
			}
			if !slices.EqualFunc(p.desktop, want, slices.Equal[[]string]) {
				t.Errorf("desktop app started with %q, want %q", p.desktop, want)
			}
		})
	}
}
