// Defines window.sfuMake(kind) → offer SDP and window.sfuApply(kind, answer) → report.
window.sfuPCs = {};
window.sfuMake = async (kind) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const pc = new RTCPeerConnection();
  const got = [];
  pc.ontrack = (e) => got.push({kind: e.track.kind, streams: e.streams.map(s => s.id), id: e.track.id});
  if (kind === 'sendrecv') { for (const t of stream.getTracks()) pc.addTrack(t, stream); }
  if (kind === 'datachannel') { for (const t of stream.getTracks()) pc.addTrack(t, stream); pc.createDataChannel('x'); }
  if (kind === 'recvonly') { pc.addTransceiver('audio', {direction: 'recvonly'}); pc.addTransceiver('video', {direction: 'recvonly'}); }
  if (kind === 'simulcast') {
    pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly', streams: [stream]});
    pc.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly', streams: [stream],
      sendEncodings: [{rid: 'h'}, {rid: 'm', scaleResolutionDownBy: 2}, {rid: 'l', scaleResolutionDownBy: 4}]});
  }
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  window.sfuPCs[kind] = {pc, got};
  return pc.localDescription.sdp;
};
window.sfuApply = async (kind, answer) => {
  const {pc, got} = window.sfuPCs[kind];
  try {
    await pc.setRemoteDescription({type: 'answer', sdp: answer});
  } catch (e) {
    return JSON.stringify({ok: false, error: String(e)});
  }
  const tr = pc.getTransceivers().map(t => ({mid: t.mid, current: t.currentDirection,
    sendCodecs: t.sender.getParameters().codecs ? t.sender.getParameters().codecs.map(c => c.mimeType + '/' + c.payloadType) : null,
    encodings: t.sender.getParameters().encodings.length}));
  return JSON.stringify({ok: true, transceivers: tr, tracks: got, sctp: pc.sctp ? 'yes' : 'no'});
};
'ready'
