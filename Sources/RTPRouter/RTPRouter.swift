// RTPRouter module
