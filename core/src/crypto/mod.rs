//! SM3, SM2 (GM/T 0009 signer ID), certificates and the `Signer` trait.
