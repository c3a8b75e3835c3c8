// Swift wrappers over libvpx for post-processing: VP8/VP9 decoding of the
// recorded video tracks and VP8 encoding of the composed grid.
import CVPX

/// A libvpx failure, with the codec's error code and detail.
public struct VPXError: Error, CustomStringConvertible {
    public let code: vpx_codec_err_t
    public let operation: String
    public let detail: String
    public var description: String { "\(operation): \(detail) (\(code.rawValue))" }

    init(_ code: vpx_codec_err_t, _ operation: String, _ ctx: UnsafeMutablePointer<vpx_codec_ctx_t>?) {
        self.code = code
        self.operation = operation
        var text = String(cString: vpx_codec_err_to_string(code))
        if let ctx, let d = vpx_codec_error_detail(ctx) { text += ": " + String(cString: d) }
        detail = text
    }
}

/// The video codecs the recorder decodes.
public enum VPXCodec: String, Sendable {
    case vp8 = "VP8", vp9 = "VP9"
}

/// Decodes VP8 or VP9 frames to I420. Exists so the compositor can read
/// every recorded video track. The context lives at a stable heap address
/// (libvpx keeps pointers into it). Not thread-safe.
public final class VPXDecoder {
    public let codec: VPXCodec
    private let ctx: UnsafeMutablePointer<vpx_codec_ctx_t>
    private var iterator: vpx_codec_iter_t? = nil

    /// - Parameter threads: decoder threads (1 keeps post-processing on its one low-priority thread).
    public init(codec: VPXCodec, threads: Int = 1) throws {
        self.codec = codec
        ctx = .allocate(capacity: 1)
        ctx.initialize(to: vpx_codec_ctx_t())
        var cfg = vpx_codec_dec_cfg_t(threads: UInt32(threads), w: 0, h: 0)
        let iface = codec == .vp8 ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx()
        let err = sfu_vpx_dec_init(ctx, iface, &cfg, 0)
        guard err == VPX_CODEC_OK else {
            let e = VPXError(err, "vpx_codec_dec_init", ctx)
            ctx.deallocate()
            throw e
        }
    }

    deinit {
        vpx_codec_destroy(ctx)
        ctx.deallocate()
    }

    /// Decodes one compressed frame; read the pictures with `nextFrame()`.
    public func decode(_ data: UnsafeRawBufferPointer) throws {
        iterator = nil
        guard let base = data.baseAddress, data.count > 0 else { return }
        let err = vpx_codec_decode(ctx, base.assumingMemoryBound(to: UInt8.self), UInt32(data.count), nil, 0)
        guard err == VPX_CODEC_OK else { throw VPXError(err, "vpx_codec_decode", ctx) }
    }

    /// Convenience for byte arrays.
    public func decode(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { try decode($0) }
    }

    /// The next picture of the last decoded frame (normally exactly one), a
    /// view into the decoder's memory valid until the next `decode`.
    public func nextFrame() -> I420View? {
        guard let img = vpx_codec_get_frame(ctx, &iterator) else { return nil }
        return Self.view(of: img)
    }

    static func view(of img: UnsafeMutablePointer<vpx_image_t>) -> I420View? {
        let i = img.pointee
        guard i.fmt == VPX_IMG_FMT_I420, let y = i.planes.0, let u = i.planes.1, let v = i.planes.2 else { return nil }
        return I420View(width: Int(i.d_w), height: Int(i.d_h), y: UnsafePointer(y), u: UnsafePointer(u),
                        v: UnsafePointer(v), yStride: Int(i.stride.0), uvStride: Int(i.stride.1))
    }
}

/// Encodes I420 pictures to VP8. Exists for the composed grid video (and
/// for tests that need real VP8). Not thread-safe.
public final class VP8Encoder {
    /// libvpx's speed/quality trade-off per frame.
    public enum Deadline: Sendable {
        /// VPX_DL_REALTIME, cpu-used 16, static threshold 100: the fastest
        /// setting (2× faster than cpu-used 8 on a 720p grid), for long recordings.
        case realtime
        /// VPX_DL_GOOD_QUALITY: several times slower, better pictures.
        case good
    }

    /// Encoder settings.
    public struct Config: Sendable {
        public var width: Int
        public var height: Int
        public var fps: Int
        public var bitrateKbps: Int
        /// Maximum distance between keyframes, in frames.
        public var keyframeInterval: Int
        public var deadline: Deadline
        public var threads: Int
        public init(width: Int, height: Int, fps: Int, bitrateKbps: Int = 1000, keyframeInterval: Int = 60,
                    deadline: Deadline = .realtime, threads: Int = 1) {
            self.width = width; self.height = height; self.fps = fps
            self.bitrateKbps = bitrateKbps; self.keyframeInterval = keyframeInterval
            self.deadline = deadline; self.threads = threads
        }
    }

    /// One compressed frame, a view into the encoder's memory valid only
    /// inside the `encode` callback.
    public struct Packet {
        public var data: UnsafeRawBufferPointer
        /// Presentation time in frames (1/fps).
        public var pts: Int64
        public var isKeyframe: Bool
    }

    public let config: Config
    private let ctx: UnsafeMutablePointer<vpx_codec_ctx_t>
    private var image = vpx_image_t()
    private let deadline: UInt

    public init(config: Config) throws {
        precondition(config.width > 0 && config.height > 0 && config.width % 2 == 0 && config.height % 2 == 0,
                     "VP8Encoder takes even sizes")
        precondition(config.fps > 0 && config.keyframeInterval > 0)
        self.config = config
        var cfg = vpx_codec_enc_cfg_t()
        let iface = vpx_codec_vp8_cx()
        var err = vpx_codec_enc_config_default(iface, &cfg, 0)
        guard err == VPX_CODEC_OK else { throw VPXError(err, "vpx_codec_enc_config_default", nil) }
        cfg.g_w = UInt32(config.width)
        cfg.g_h = UInt32(config.height)
        cfg.g_timebase = vpx_rational(num: 1, den: Int32(config.fps))
        cfg.rc_target_bitrate = UInt32(config.bitrateKbps)
        cfg.g_threads = UInt32(config.threads)
        cfg.kf_mode = VPX_KF_AUTO
        cfg.kf_min_dist = 0
        cfg.kf_max_dist = UInt32(config.keyframeInterval)
        cfg.g_lag_in_frames = 0  // a packet out for every picture in
        cfg.rc_end_usage = VPX_VBR
        cfg.g_pass = VPX_RC_ONE_PASS
        ctx = .allocate(capacity: 1)
        ctx.initialize(to: vpx_codec_ctx_t())
        err = sfu_vpx_enc_init(ctx, iface, &cfg, 0)
        guard err == VPX_CODEC_OK else {
            let e = VPXError(err, "vpx_codec_enc_init", ctx)
            ctx.deallocate()
            throw e
        }
        switch config.deadline {
        case .realtime:
            deadline = UInt(sfu_vpx_deadline_realtime())
            _ = sfu_vpx_set_cpu_used(ctx, 16)
            _ = sfu_vpx_set_static_threshold(ctx, 100)
        case .good:
            deadline = UInt(sfu_vpx_deadline_good())
            _ = sfu_vpx_set_cpu_used(ctx, 2)
        }
    }

    deinit {
        vpx_codec_destroy(ctx)
        ctx.deallocate()
    }

    /// Encodes `frame` at `pts` (in frames) and hands every packet produced
    /// to `emit`.
    public func encode(_ frame: I420Frame, pts: Int64, forceKeyframe: Bool = false,
                       emit: (Packet) throws -> Void) throws {
        precondition(frame.width == config.width && frame.height == config.height, "frame size differs from the encoder's")
        let err: vpx_codec_err_t = frame.storage.withUnsafeBufferPointer { p in
            vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1,
                         UnsafeMutablePointer(mutating: p.baseAddress!))
            return vpx_codec_encode(ctx, &image, pts, 1, forceKeyframe ? sfu_vpx_flag_force_keyframe() : 0, deadline)
        }
        guard err == VPX_CODEC_OK else { throw VPXError(err, "vpx_codec_encode", ctx) }
        try drain(emit)
    }

    /// Signals the end of the stream and emits whatever the encoder still holds.
    public func flush(emit: (Packet) throws -> Void) throws {
        let err = vpx_codec_encode(ctx, nil, 0, 1, 0, deadline)
        guard err == VPX_CODEC_OK else { throw VPXError(err, "vpx_codec_encode(flush)", ctx) }
        try drain(emit)
    }

    private func drain(_ emit: (Packet) throws -> Void) throws {
        var iter: vpx_codec_iter_t? = nil
        while let pkt = vpx_codec_get_cx_data(ctx, &iter) {
            guard pkt.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let f = pkt.pointee.data.frame
            try emit(Packet(data: UnsafeRawBufferPointer(start: f.buf, count: f.sz), pts: f.pts,
                            isKeyframe: (f.flags & sfu_vpx_frame_is_key()) != 0))
        }
    }
}
