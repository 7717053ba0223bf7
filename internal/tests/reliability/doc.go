// Package reliability holds no code: its tests are the reliability and secrecy suite of
// issue 6. They run the real plexlink binary against the fake plex.tv (in process, with
// faults injected) and a real gnome-keyring, and check that no fault, crash or race loses
// or leaks a token. TestFaultMatrix writes its table to test-artifacts/RELIABILITY.md and
// fails when docs/RELIABILITY.md disagrees with it; PLEXLINK_UPDATE_DOCS=1 rewrites the doc.
package reliability
