// Package display gives GUI tests a screen and a way to look at it: a private Xvfb per test,
// the app started on it (StartApp), xdotool, screenshots checked for content, and the
// process tree's memory and CPU (what the benchmarks measure too). Linux only.
package display
