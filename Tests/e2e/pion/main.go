// pionpeer: a WebRTC peer on pion (Debian's golang-github-pion-webrtc.v3-dev),
// a strict ICE stack that nobody in this project wrote, for the end-to-end
// tests. The test drives the signalling: pionpeer prints its offer as one
// JSON line on stdout, reads the server's answer as one JSON line on stdin,
// then publishes (VP8 from an IVF file and Opus from an Ogg file, made by
// ffmpeg) or views (counting RTP packets per kind) for -seconds, and prints
// a JSON result line.
//
// Built offline in GOPATH mode (see Tests/e2e/pionlib.py).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

type result struct {
	Mode            string `json:"mode"`
	State           string `json:"state"`
	Connected       bool   `json:"connected"`
	VideoPackets    int64  `json:"videoPackets"`
	AudioPackets    int64  `json:"audioPackets"`
	VideoKeyframes  int64  `json:"videoKeyframes"`
	VideoSent       int64  `json:"videoFramesSent"`
	AudioSent       int64  `json:"audioPagesSent"`
	SelectedPair    string `json:"selectedPair"`
	Error           string `json:"error,omitempty"`
}

func fail(r *result, err error) {
	r.Error = err.Error()
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	os.Exit(1)
}

func main() {
	mode := flag.String("mode", "publish", "publish or view")
	local := flag.String("local", "", "the only local address to gather (comma-separated list)")
	seconds := flag.Float64("seconds", 5, "how long to send or receive after connecting")
	ivf := flag.String("ivf", "", "VP8 IVF file to publish")
	ogg := flag.String("ogg", "", "Opus Ogg file to publish")
	tcp := flag.Bool("tcp", false, "ICE over TCP only (RFC 6544, active candidates)")
	flag.Parse()
	r := &result{Mode: *mode}

	s := webrtc.SettingEngine{}
	if *local != "" {
		allowed := map[string]bool{}
		for _, a := range strings.Split(*local, ",") {
			allowed[net.ParseIP(a).String()] = true
		}
		s.SetIPFilter(func(ip net.IP) bool { return allowed[ip.String()] })
		// Loopback addresses (::1, 127.x) are gathered only with this.
		s.SetIncludeLoopbackCandidate(true)
	}
	s.SetICETimeouts(5*time.Second, 15*time.Second, 1*time.Second)
	if *tcp {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	} else {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		fail(r, err)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(s), webrtc.WithMediaEngine(m))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fail(r, err)
	}
	defer pc.Close()

	connected := make(chan struct{})
	var once sync.Once
	var lastState atomic.Value
	lastState.Store("new")
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		lastState.Store(st.String())
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})

	var videoPackets, audioPackets, keyframes int64
	var videoTrack, audioTrack *webrtc.TrackLocalStaticSample
	if *mode == "publish" {
		videoTrack, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
		if err != nil {
			fail(r, err)
		}
		audioTrack, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "pion")
		if err != nil {
			fail(r, err)
		}
		for _, t := range []webrtc.TrackLocal{audioTrack, videoTrack} {
			sender, err := pc.AddTrack(t)
			if err != nil {
				fail(r, err)
			}
			go func() { // read RTCP so that interceptors run
				buf := make([]byte, 1500)
				for {
					if _, _, err := sender.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	} else {
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				fail(r, err)
			}
		}
		pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			for {
				p, _, err := track.ReadRTP()
				if err != nil {
					return
				}
				if track.Kind() == webrtc.RTPCodecTypeVideo {
					atomic.AddInt64(&videoPackets, 1)
					// VP8 payload descriptor (RFC 7741 §4.2), then the frame tag: P bit 0 is a keyframe.
					pl := p.Payload
					if len(pl) > 0 && pl[0]&0x10 != 0 {
						i := 1
						if pl[0]&0x80 != 0 && len(pl) > 1 {
							x := pl[1]
							i = 2
							if x&0x80 != 0 && len(pl) > i {
								if pl[i]&0x80 != 0 {
									i++
								}
								i++
							}
							if x&0x40 != 0 {
								i++
							}
							if x&0x30 != 0 {
								i++
							}
						}
						if len(pl) > i && pl[i]&0x01 == 0 {
							atomic.AddInt64(&keyframes, 1)
						}
					}
				} else {
					atomic.AddInt64(&audioPackets, 1)
				}
			}
		})
	}

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		fail(r, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		fail(r, err)
	}
	<-gathered
	line, _ := json.Marshal(map[string]string{"sdp": pc.LocalDescription().SDP})
	fmt.Println(string(line))

	in := bufio.NewReader(os.Stdin)
	answerLine, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fail(r, err)
	}
	var answer struct {
		SDP string `json:"sdp"`
	}
	if err := json.Unmarshal([]byte(answerLine), &answer); err != nil {
		fail(r, fmt.Errorf("answer: %w", err))
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer.SDP}); err != nil {
		fail(r, err)
	}

	select {
	case <-connected:
		r.Connected = true
	case <-time.After(15 * time.Second):
		r.State = lastState.Load().(string)
		fail(r, errors.New("not connected within 15 s"))
	}
	if stats, ok := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); ok == nil && stats != nil {
		r.SelectedPair = stats.String()
	}

	done := time.After(time.Duration(*seconds * float64(time.Second)))
	if *mode == "publish" {
		var sentVideo, sentAudio int64
		go func() {
			for {
				f, err := os.Open(*ivf)
				if err != nil {
					return
				}
				rd, hdr, err := ivfreader.NewWith(f)
				if err != nil {
					return
				}
				tick := time.Duration(float64(time.Second) * float64(hdr.TimebaseNumerator) / float64(hdr.TimebaseDenominator))
				for {
					frame, _, err := rd.ParseNextFrame()
					if err != nil {
						break
					}
					if videoTrack.WriteSample(media.Sample{Data: frame, Duration: tick}) == nil {
						atomic.AddInt64(&sentVideo, 1)
					}
					time.Sleep(tick)
				}
				f.Close()
			}
		}()
		go func() {
			for {
				f, err := os.Open(*ogg)
				if err != nil {
					return
				}
				rd, _, err := oggreader.NewWith(f)
				if err != nil {
					return
				}
				var last uint64
				for {
					page, hdr, err := rd.ParseNextPage()
					if err != nil {
						break
					}
					if hdr.GranulePosition == 0 { // OpusHead / OpusTags
						continue
					}
					samples := hdr.GranulePosition - last
					last = hdr.GranulePosition
					d := time.Duration(samples) * time.Second / 48000
					if audioTrack.WriteSample(media.Sample{Data: page, Duration: d}) == nil {
						atomic.AddInt64(&sentAudio, 1)
					}
					time.Sleep(d)
				}
				f.Close()
			}
		}()
		<-done
		r.VideoSent = atomic.LoadInt64(&sentVideo)
		r.AudioSent = atomic.LoadInt64(&sentAudio)
	} else {
		<-done
	}
	r.VideoPackets = atomic.LoadInt64(&videoPackets)
	r.AudioPackets = atomic.LoadInt64(&audioPackets)
	r.VideoKeyframes = atomic.LoadInt64(&keyframes)
	r.State = lastState.Load().(string)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
