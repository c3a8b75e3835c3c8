extension IceLiteAgent {
    /// Processes one datagram the worker classified as STUN (RFC 7983),
    /// received from `source` at `now` (any monotonic origin).
    ///
    /// Order of checks: STUN structure and FINGERPRINT (RFC 8489 §6.3),
    /// Binding request, short-term credentials (§9.1.3: USERNAME, then
    /// MESSAGE-INTEGRITY), unknown comprehension-required attributes (→ 420,
    /// §6.3.1.1), role conflict (→ 487, RFC 8445 §7.3.1.1), then the success
    /// response (RFC 8445 §7.3.1.4) and nomination (§7.3.1.5).
    public mutating func handle(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress, now: Duration) -> [Action] {
        let message: StunMessage
        do {
            message = try StunMessage.parse(datagram)
        } catch {
            counters.malformed += 1
            return [.ignore(.malformed(error))]
        }
        guard message.type.stunClass == .request else {
            counters.notRequest += 1
            return [.ignore(.notRequest(message.type.stunClass))]
        }
        guard message.type.method == StunMessageType.bindingMethod else {
            counters.unsupportedMethod += 1
            return [.ignore(.unsupportedMethod(message.type.method))]
        }
        guard state != .failed else {
            counters.ignoredWhileFailed += 1
            return [.ignore(.agentFailed)]
        }
        guard let username = message.username, message.hasMessageIntegrity else {
            counters.missingCredentials += 1
            return [.ignore(.missingCredentials)]
        }

        // Which credentials? The current ones, or during an ICE restart the previous ones.
        let usesCurrent: Bool
        let generation: Generation
        if current.accepts(username: username) {
            usesCurrent = true
            generation = current
        } else if let previous, previous.accepts(username: username) {
            usesCurrent = false
            generation = previous
        } else {
            counters.wrongUfrag += 1
            return [.ignore(.wrongUfrag)]
        }
        let authentic = generation.key.withUnsafeBytes { StunIntegrity.verify(datagram, key: $0) }
        guard authentic else {
            counters.badIntegrity += 1
            return [.ignore(.badIntegrity)]
        }

        var actions: [Action] = []
        // RFC 8445 §9: the new credentials are in use, the old ones go.
        if usesCurrent, let previous {
            actions.append(.credentialsRetired(ufrag: previous.local.ufrag))
            self.previous = nil
        }

        // RFC 8489 §6.3.1.1: unknown comprehension-required attributes → 420 listing them.
        let unknown = message.unknownComprehensionRequired
        if !unknown.isEmpty {
            counters.unknownAttributes += 1
            actions.append(.send(errorResponse(to: message, code: StunErrorCode.unknownAttribute,
                                               unknown: unknown, key: generation.key), to: source))
            return actions
        }

        // RFC 8445 §7.3.1.1: we are controlled; a peer that also claims to be
        // controlled is in conflict. The RFC lets the larger tie-breaker take
        // the controlling role, but a lite agent cannot control (§6.1.1: with
        // a lite peer the full agent MUST control), so we always answer 487
        // and keep our role; the full agent switches to controlling and retries.
        if message.iceControlled != nil {
            counters.roleConflicts += 1
            actions.append(.send(errorResponse(to: message, code: StunErrorCode.roleConflict,
                                               unknown: [], key: generation.key), to: source))
            return actions
        }

        actions.append(.send(successResponse(to: message, source: source, key: generation.key), to: source))
        counters.successResponses += 1

        // RFC 7675: a valid request on the media path renews consent. Before
        // a path is selected any valid request counts (the peer is still checking).
        if selectedPath == nil || selectedPath == source {
            lastConsent = now
        }

        // RFC 8445 §7.3.1.5 / §8.2: for a lite agent a pair is nominated when a
        // valid request with USE-CANDIDATE arrives; a later nomination of
        // another pair moves the media path there.
        if message.useCandidate {
            counters.nominations += 1
            if selectedPath != source || state != .connected {
                if let old = selectedPath, old != source { counters.pathSwitches += 1 }
                selectedPath = source
                lastConsent = now
                actions.append(.selectPath(source))
            }
            if state != .connected {
                state = .connected
                actions.append(.connected)
            }
        }
        return actions
    }

    public mutating func handle(_ datagram: [UInt8], from source: SocketAddress, now: Duration) -> [Action] {
        datagram.withUnsafeBytes { handle($0, from: source, now: now) }
    }

    /// Consent freshness (RFC 7675 §5.1): with no valid request for
    /// `consentTimeout`, a connected agent reports `.consentExpired` and
    /// fails; one never connected just fails. Call at `nextDeadline`.
    public mutating func tick(now: Duration) -> [Action] {
        guard state != .failed, now - lastConsent >= configuration.consentTimeout else { return [] }
        let wasConnected = state == .connected
        state = .failed
        if wasConnected {
            counters.consentExpirations += 1
            return [.consentExpired, .failed]
        }
        return [.failed]
    }

    /// ICE restart (RFC 8445 §9) after a new offer: new local credentials
    /// and the offer's remote ufrag. The selected path stays in use; requests
    /// with the previous credentials are still answered until one with the new
    /// credentials authenticates, then `.credentialsRetired(old ufrag)` is
    /// returned from `handle`. A failed agent goes back to checking with a
    /// fresh timeout. Returns `.credentialsRetired` at once for credentials
    /// two restarts old.
    public mutating func restart(local: IceCredentials, remoteUfrag: String?, now: Duration) -> [Action] {
        var actions: [Action] = []
        if let previous { actions.append(.credentialsRetired(ufrag: previous.local.ufrag)) }
        previous = current
        current = Generation(local: local, remoteUfrag: remoteUfrag)
        if state != .connected {
            state = .checking
            lastConsent = now
        }
        return actions
    }

    // MARK: Responses

    /// Binding success (RFC 8489 §6.3.1.1, RFC 8445 §7.3.1.4): XOR-MAPPED-ADDRESS
    /// of the source, MESSAGE-INTEGRITY with the password the request used, FINGERPRINT.
    private func successResponse(to request: StunMessage, source: SocketAddress, key: [UInt8]) -> [UInt8] {
        var m = StunMessage(type: .bindingSuccess, transactionID: request.transactionID)
        m.attributes.append(.xorMappedAddress(source.unmappingIPv4))
        if let software = configuration.software { m.attributes.append(.software(software)) }
        return m.serialized(integrityKey: key, fingerprint: true)
    }

    /// Binding error response (RFC 8489 §6.3.1.1) for an authenticated request.
    private func errorResponse(to request: StunMessage, code: Int, unknown: [UInt16], key: [UInt8]) -> [UInt8] {
        var m = StunMessage(type: .bindingError, transactionID: request.transactionID)
        m.attributes.append(.errorCode(code: code, reason: StunErrorCode.reason(for: code)))
        if !unknown.isEmpty { m.attributes.append(.unknownAttributes(unknown)) }
        if let software = configuration.software { m.attributes.append(.software(software)) }
        return m.serialized(integrityKey: key, fingerprint: true)
    }
}
