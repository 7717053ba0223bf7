package plextvtest

// A second account and "sign out" from outside: what a user does on plex.tv behind the
// app's back (relinks as someone else, signs a device out, signs out of all devices).

// OtherAccountToken is the token of a second account ("other"): approving a code with it
// (PUT /pins/link) links that code to the other account, as a browser signed in as someone
// else would.
func (f *Fake) OtherAccountToken() string { return f.otherToken }

// ApproveAsOther links a code to the second account and returns the token minted for it.
func (f *Fake) ApproveAsOther(code string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.approveLocked(code, false, &f.other)
}

// Revoke signs one token out, as removing its device on plex.tv does.
func (f *Fake) Revoke(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, tok)
}

// SignOutAll signs out every token of the main account, its own included, as plex.tv's
// "sign out of all devices" does. The account's own token is then replaced by a new one
// (the user signs in again), which AccountToken returns.
func (f *Fake) SignOutAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok := range f.tokens {
		if f.owners[tok] == nil {
			delete(f.tokens, tok)
		}
	}
	f.accountToken = randomString(20, alnum)
	f.tokens[f.accountToken] = true
	f.issued = append(f.issued, f.accountToken)
}

// accountOf is the account a token belongs to (nil for an unknown token).
func (f *Fake) accountOf(tok string) *account {
	if !f.tokens[tok] {
		return nil
	}
	if o := f.owners[tok]; o != nil {
		return o
	}
	return &f.user
}
