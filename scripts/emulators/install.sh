#!/usr/bin/env bash
# Placeholder until the emulator issues land: nothing to build yet.
exit 0
