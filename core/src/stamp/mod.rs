//! Seal pictures (issue: stamp room). To be filled.
