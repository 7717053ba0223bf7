package plextvtest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RunFakeServer implements `plexlink fake-server [--addr 127.0.0.1:0] [--pin-ttl 15m]
// [--account-token T] [--username U] [--allow-remote] [--hostile [--hostile-ca FILE]]
// [--fail 'ROUTE=STATUS[:RETRY-AFTER]']…`. It prints one JSON line
// {"api_url":…,"link_url":…,"account_token":…,"servers":[…],"home_users":[…]} on stdout once it
// listens, serves until SIGINT/SIGTERM and returns the exit code. The line also names the fake
// media servers GET /resources lists ("servers") and the members of the demo account's Plex
// Home other than itself ("home_users": name, restricted, and pin, null for a user without
// one). --fail makes every request to ROUTE (a Route* name such as "POST /pins") answer
// STATUS, with Retry-After when given: for end-to-end tests. Strong pins live twice
// --pin-ttl, as on plex.tv.
func RunFakeServer(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runFakeServer(ctx, args, stdout, stderr)
}

func runFakeServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fake-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback unless --allow-remote)")
	ttl := fs.Duration("pin-ttl", DefaultPinTTL, "lifetime of a non-strong PIN (strong PINs live twice as long)")
	token := fs.String("account-token", "", "the demo account's token (default: random)")
	user := fs.String("username", DefaultUsername, "the demo account's username")
	remote := fs.Bool("allow-remote", false, "allow a non-loopback --addr (the fake has no real security)")
	hostile := fs.Bool("hostile", false, "also list servers set up to trick a client (an impostor, escape-laden names, a uri with a path, https and http side by side)")
	caFile := fs.String("hostile-ca", "", "with --hostile, write the hostile https server's certificate (PEM) to this file, for SSL_CERT_FILE")
	var faults []routeFault
	fs.Func("fail", "`ROUTE=STATUS[:RETRY-AFTER]`: answer every request to ROUTE (e.g. 'POST /pins') with STATUS (repeatable)", func(v string) error {
		f, err := parseRouteFault(v)
		faults = append(faults, f)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fake-server: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *caFile != "" && !*hostile {
		fmt.Fprintln(stderr, "fake-server: --hostile-ca needs --hostile")
		return 2
	}
	if *ttl < time.Second {
		fmt.Fprintln(stderr, "fake-server: --pin-ttl must be at least 1s")
		return 2
	}
	if err := checkLoopback(*addr); err != nil && !*remote {
		fmt.Fprintf(stderr, "fake-server: %v; pass --allow-remote to listen there anyway\n", err)
		return 2
	}
	opts := []Option{WithPinTTL(*ttl), WithStrongPinTTL(2 * *ttl), WithAccountToken(*token), WithUsername(*user)}
	if *hostile {
		opts = append(opts, WithHostile())
	}
	srv, err := Listen(*addr, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "fake-server: %v\n", err)
		return 1
	}
	defer srv.Close()
	if *caFile != "" {
		if err := os.WriteFile(*caFile, srv.HostileCA(), 0o600); err != nil {
			fmt.Fprintf(stderr, "fake-server: %v\n", err)
			return 1
		}
	}
	for _, f := range faults {
		srv.FailNext(f.route, math.MaxInt, f.fault)
	}
	var names []string
	for _, m := range srv.MediaServers() {
		names = append(names, m.Name)
	}
	line, _ := json.Marshal(struct {
		APIURL       string     `json:"api_url"`
		LinkURL      string     `json:"link_url"`
		AccountToken string     `json:"account_token"`
		OtherToken   string     `json:"other_account_token"`
		Servers      []string   `json:"servers"`
		HomeUsers    []HomeUser `json:"home_users"`
	}{srv.URL, srv.LinkURL, srv.AccountToken(), srv.OtherAccountToken(), names, srv.HomeUsers()})
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		fmt.Fprintf(stderr, "fake-server: %v\n", err)
		return 1
	}
	<-ctx.Done()
	return 0
}

// routes are the names --fail accepts.
var routes = []string{RouteCreatePin, RoutePin, RouteLinkPin, RouteUser, RouteSignOut, RoutePing, RouteResources}

type routeFault struct {
	route string
	fault Fault
}

func parseRouteFault(v string) (routeFault, error) {
	route, spec, ok := strings.Cut(v, "=")
	status, after, _ := strings.Cut(spec, ":")
	code, err := strconv.Atoi(status)
	if !ok || !slices.Contains(routes, route) || err != nil || code < 100 || code > 599 {
		return routeFault{}, fmt.Errorf("want ROUTE=STATUS[:RETRY-AFTER] with ROUTE one of %q", routes)
	}
	return routeFault{route, Fault{Status: code, RetryAfter: after}}, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid --addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address", addr)
}
