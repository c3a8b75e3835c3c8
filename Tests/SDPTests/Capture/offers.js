
(async () => {
  const out = {};
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  // 1. sendrecv audio+video
  let pc = new RTCPeerConnection();
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  out.sendrecv = (await pc.createOffer()).sdp; pc.close();
  // 2. recvonly audio+video
  pc = new RTCPeerConnection();
  pc.addTransceiver('audio', {direction: 'recvonly'});
  pc.addTransceiver('video', {direction: 'recvonly'});
  out.recvonly = (await pc.createOffer()).sdp; pc.close();
  // 3. simulcast video (+ audio)
  pc = new RTCPeerConnection();
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly', streams: [stream]});
  pc.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly', streams: [stream],
    sendEncodings: [{rid: 'h'}, {rid: 'm', scaleResolutionDownBy: 2}, {rid: 'l', scaleResolutionDownBy: 4}]});
  out.simulcast = (await pc.createOffer()).sdp; pc.close();
  // 4. offer with ICE candidates gathered (sendrecv + data channel)
  pc = new RTCPeerConnection();
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  pc.createDataChannel('chat');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; setTimeout(r, 5000); });
  out.gathered = pc.localDescription.sdp; pc.close();
  out.userAgent = navigator.userAgent;
  return JSON.stringify(out);
})()
