//! The mapping file: parsing, validation with line and column, convention (pattern) rules.
