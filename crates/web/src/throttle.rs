//! Throttling of public submissions per client, and the challenge.
