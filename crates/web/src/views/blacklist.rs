//! Pages of the arrears blacklist.
