// SDP module
