//go:build !linux

package main

import "syscall"

// childAttr is empty where the kernel cannot tie a child's life to ours.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
