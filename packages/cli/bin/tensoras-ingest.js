#!/usr/bin/env node
// A committed launcher, so that the package manager links the bin before the first build.
import "../dist/bin.js"
