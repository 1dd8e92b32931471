//! EventBridge and CloudTrail events classified into triggers.
