// Command hello is the smallest Go program that prints a line: the benchmarks time
// `plexlink version` against it, both built with CGO_ENABLED=0 and the same flags, to see
// what the command line costs before it does any work.
package main

import "fmt"

func main() {
	fmt.Println("hello, world")
}
