//! Local AWS emulator.
