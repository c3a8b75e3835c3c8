#ifndef SFU_CVPX_SHIM_H
#define SFU_CVPX_SHIM_H
// libvpx (Debian libvpx-dev): VP8 encoder, VP8/VP9 decoders.
// The ABI version macros have several operators and vpx_codec_control_ is
// variadic, so neither imports into Swift: these inline wrappers do.
// See ../shared/notes/swift-c-interop.md.
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

static inline vpx_codec_err_t sfu_vpx_enc_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                               const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init_ver(ctx, iface, cfg, flags, VPX_ENCODER_ABI_VERSION);
}
static inline vpx_codec_err_t sfu_vpx_dec_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                               const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init_ver(ctx, iface, cfg, flags, VPX_DECODER_ABI_VERSION);
}
/// VP8E_SET_CPUUSED: -16…16 for VP8; higher is faster (realtime uses 4…16).
static inline vpx_codec_err_t sfu_vpx_set_cpu_used(vpx_codec_ctx_t *ctx, int value) {
    return vpx_codec_control_(ctx, VP8E_SET_CPUUSED, value);
}
/// VP8E_SET_STATIC_THRESHOLD: skip encoding of blocks that barely change.
static inline vpx_codec_err_t sfu_vpx_set_static_threshold(vpx_codec_ctx_t *ctx, unsigned int value) {
    return vpx_codec_control_(ctx, VP8E_SET_STATIC_THRESHOLD, value);
}
/// VPX_DL_REALTIME / VPX_DL_GOOD_QUALITY are plain macros of one number;
/// repeated here as functions so the values come from the header.
static inline unsigned long sfu_vpx_deadline_realtime(void) { return VPX_DL_REALTIME; }
static inline unsigned long sfu_vpx_deadline_good(void) { return VPX_DL_GOOD_QUALITY; }
static inline vpx_enc_frame_flags_t sfu_vpx_flag_force_keyframe(void) { return VPX_EFLAG_FORCE_KF; }
static inline vpx_codec_frame_flags_t sfu_vpx_frame_is_key(void) { return VPX_FRAME_IS_KEY; }
#endif
