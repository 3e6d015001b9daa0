// Package desk holds Threadesk's domain: tickets, the neutral messages and events that the
// chat platforms are translated into, the Platform interface every adapter implements, the
// Store interface persistence implements, and the error codes shared by all of them.
//
// It depends on the standard library only, so that every other package can depend on it and
// the core never learns which chat platform it is talking to.
package desk
