package cli

// Shell completion (`plexlink completion bash|zsh|fish|powershell`, cobra's): commands and
// flags from the table, and the names that only the account knows — servers and tools —
// asked for when the user presses Tab.

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/plexlink/plexlink/internal/servers"
	"codeberg.org/plexlink/plexlink/internal/termtext"
)

// completeTimeout bounds a completion that asks plex.tv: a Tab must not hang a shell.
const completeTimeout = 3 * time.Second

// completeServers offers the account's server names (GET /resources, no probing).
func (f *factory) completeServers(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	svc, err := f.service()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	tok, _, err := svc.AccountToken()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(f.env.Context, completeTimeout)
	defer cancel()
	res, err := svc.Resources(ctx, tok)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, s := range servers.List(res) {
		// Names come from whoever shares a server: nothing a shell would act on.
		name := termtext.Clean(s.Name)
		if strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
			out = append(out, name+"\t"+termtext.Clean(s.Owner))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTools offers the tools that have a token of their own (no network).
func (f *factory) completeTools(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	svc, err := f.service()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	tools, err := svc.Tools()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, t := range tools {
		if strings.HasPrefix(t.Name, prefix) {
			out = append(out, t.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeToolArg completes `tools revoke NAME`'s one argument.
func (f *factory) completeToolArg(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return f.completeTools(cmd, args, prefix)
}
