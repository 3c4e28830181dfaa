//! GB/T 38540 / GM/T 0031 seals and signatures.
