//! The reconcile engine: read inventory and actual state, plan, guard, apply through the ports.
