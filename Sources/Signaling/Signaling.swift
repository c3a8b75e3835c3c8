// Signaling
