"""The built-in STM emulator: an independent implementation of docs/api-contract.md.

Import `stm_tui.emulator.server.EmulatorServer` to run it in-process; `stm-tui emulator`
runs it in the foreground.
"""
