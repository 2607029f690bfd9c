;; Frame preprocessing kernels in WebAssembly SIMD (128-bit): the Pillow-exact bilinear resize's two passes and the
;; torch-exact normalisation. Plain integer and IEEE float32 arithmetic, so the results equal src/frames/resample.ts
;; and transforms.ts bit for bit; only 4 or 16 lanes at a time. Assembled by tools/build-wasm.mjs; driven by
;; src/frames/kernels.ts, which owns the memory layout (every pointer below is a byte offset it chose).
(module
  (memory (export "memory") 1)

  ;; Horizontal pass. `rows` rows of source pixels (`channels` bytes each, 3 or 4; the source is followed by at least
  ;; one readable byte, since a pixel is loaded as 4 bytes) → `outW` pixels a row, 4 bytes each (the 4th is junk).
  ;; Output pixel x reads `ksize` source pixels from starts[x], weighted by weights[x·ksize …] (22-bit fixed point;
  ;; zero weights pad the taps to a fixed count). Each sum is rounded, shifted and clamped to 0…255 as Pillow does.
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $channels i32) (param $rows i32)
    (param $starts i32) (param $weights i32) (param $ksize i32) (param $outW i32) (param $dst i32)
    (local $y i32) (local $x i32) (local $t i32) (local $row i32) (local $p i32) (local $wp i32) (local $acc v128)
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $x (i32.const 0))
        (local.set $wp (local.get $weights))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $outW)))
            (local.set $p (i32.add (local.get $row)
              (i32.mul (i32.load (i32.add (local.get $starts) (i32.shl (local.get $x) (i32.const 2)))) (local.get $channels))))
            (local.set $acc (i32x4.splat (i32.const 2097152))) ;; 1 << 21: the rounding half
            (local.set $t (i32.const 0))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $t) (local.get $ksize)))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.mul
                    (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                    (i32x4.splat (i32.load (local.get $wp))))))
                (local.set $p (i32.add (local.get $p) (local.get $channels)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tapLoop)))
            (local.set $acc (i32x4.shr_s (local.get $acc) (i32.const 22)))
            (v128.store32_lane 0 (local.get $dst)
              (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)) (i16x8.splat (i32.const 0))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $colLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; Vertical pass over rows of `rowBytes` bytes (16 at a time: the rows after the last may be overwritten or read
  ;; up to 15 bytes past `rowBytes`, so the caller pads). Output row y is the weighted sum of `ksize` input rows from
  ;; starts[y], weights[y·ksize …], rounded and clamped like the horizontal pass.
  (func (export "vertical")
    (param $src i32) (param $rowBytes i32) (param $starts i32) (param $weights i32) (param $ksize i32)
    (param $outRows i32) (param $dst i32)
    (local $y i32) (local $i i32) (local $t i32) (local $base i32) (local $p i32) (local $wp i32) (local $out i32)
    (local $v v128) (local $k v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $outRows)))
        (local.set $base (i32.add (local.get $src)
          (i32.mul (i32.load (i32.add (local.get $starts) (i32.shl (local.get $y) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $rowBytes))))
        (local.set $i (i32.const 0))
        (block $chunksDone
          (loop $chunkLoop
            (br_if $chunksDone (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $base) (local.get $i)))
            (local.set $wp (i32.add (local.get $weights) (i32.shl (i32.mul (local.get $y) (local.get $ksize)) (i32.const 2))))
            (local.set $t (i32.const 0))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $t) (local.get $ksize)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $k (i32x4.splat (i32.load (local.get $wp))))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tapLoop)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $chunkLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; One size×size crop of 4-byte pixels (rows `stride` bytes apart, crop starting at `src`) → three float32 planes
  ;; at `dst` (plane after plane, `size`² floats each), each value ((v / 255) − mean_c) / std_c in float32 exactly
  ;; as torch computes ToTorchFormatTensor + GroupNormalize. `flip` mirrors the crop left–right. size % 4 == 0.
  (func (export "normalize")
    (param $src i32) (param $stride i32) (param $size i32) (param $flip i32) (param $dst i32)
    (param $m0 f32) (param $m1 f32) (param $m2 f32) (param $s0 f32) (param $s1 f32) (param $s2 f32)
    (local $y i32) (local $x i32) (local $p i32) (local $o i32) (local $plane i32) (local $step i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $r v128) (local $g v128) (local $b v128)
    (local $k255 v128)
    (local.set $k255 (f32x4.splat (f32.const 255)))
    (local.set $plane (i32.shl (i32.mul (local.get $size) (local.get $size)) (i32.const 2)))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $size)))
        (local.set $p (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $stride))))
        ;; the output row, written forwards, or backwards from its last 4 floats when flipped
        (local.set $o (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $size)) (i32.const 2))))
        (local.set $step (i32.const 16))
        (if (local.get $flip) (then
          (local.set $o (i32.add (local.get $o) (i32.shl (i32.sub (local.get $size) (i32.const 4)) (i32.const 2))))
          (local.set $step (i32.const -16))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $size)))
            ;; 4 pixels RGBx → RRRR GGGG BBBB xxxx
            (local.set $v (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (v128.load (local.get $p)) (v128.load (local.get $p))))
            (if (local.get $flip) (then
              (local.set $v (i8x16.shuffle 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12 (local.get $v) (local.get $v)))))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (local.set $r (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))))
            (local.set $g (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))))
            (local.set $b (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))))
            (v128.store (local.get $o)
              (f32x4.div (f32x4.sub (f32x4.div (local.get $r) (local.get $k255)) (f32x4.splat (local.get $m0))) (f32x4.splat (local.get $s0))))
            (v128.store (i32.add (local.get $o) (local.get $plane))
              (f32x4.div (f32x4.sub (f32x4.div (local.get $g) (local.get $k255)) (f32x4.splat (local.get $m1))) (f32x4.splat (local.get $s1))))
            (v128.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1)))
              (f32x4.div (f32x4.sub (f32x4.div (local.get $b) (local.get $k255)) (f32x4.splat (local.get $m2))) (f32x4.splat (local.get $s2))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $colLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))
  ;; The vertical pass and the normalisation in one: the same sums as `vertical` over rows of `size` 4-byte pixels
  ;; (size % 4 == 0), but each 16 output bytes (4 pixels) go straight to float32 in the three planes at `dst`, laid
  ;; out as `normalize` writes them (flip mirrors each row), never stored as bytes. A byte's normalised value is looked
  ;; up in `table`: 3 × 256 float32, channel after channel (torch's three float32 steps, computed by the caller);
  ;; 12 lookups cost less than the 6 divisions `normalize` does for 4 pixels.
  (func (export "verticalNormalize")
    (param $src i32) (param $starts i32) (param $weights i32) (param $ksize i32) (param $size i32) (param $flip i32)
    (param $dst i32) (param $table i32)
    (local $rowBytes i32) (local $y i32) (local $i i32) (local $t i32) (local $base i32) (local $p i32) (local $wp i32)
    (local $o i32) (local $step i32) (local $plane i32) (local $plane2 i32)
    (local $v v128) (local $k v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $size) (i32.const 2)))
    (local.set $plane (i32.shl (i32.mul (local.get $size) (local.get $size)) (i32.const 2)))
    (local.set $plane2 (i32.shl (local.get $plane) (i32.const 1)))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $size)))
        (local.set $base (i32.add (local.get $src)
          (i32.mul (i32.load (i32.add (local.get $starts) (i32.shl (local.get $y) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $o (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $size)) (i32.const 2))))
        (local.set $step (i32.const 16))
        (if (local.get $flip) (then
          (local.set $o (i32.add (local.get $o) (i32.shl (i32.sub (local.get $size) (i32.const 4)) (i32.const 2))))
          (local.set $step (i32.const -16))))
        (local.set $i (i32.const 0))
        (block $chunksDone
          (loop $chunkLoop
            (br_if $chunksDone (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $base) (local.get $i)))
            (local.set $wp (i32.add (local.get $weights) (i32.shl (i32.mul (local.get $y) (local.get $ksize)) (i32.const 2))))
            (local.set $t (i32.const 0))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $t) (local.get $ksize)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $k (i32x4.splat (i32.load (local.get $wp))))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tapLoop)))
            ;; 4 pixels RGBx as clamped bytes, then RRRR GGGG BBBB xxxx (mirrored within the 4 when flipped)
            (local.set $v (i8x16.narrow_i16x8_u
              (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
              (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (if (local.get $flip)
              (then (local.set $v (i8x16.shuffle 12 8 4 0 13 9 5 1 14 10 6 2 15 11 7 3 (local.get $v) (local.get $v))))
              (else (local.set $v (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $v) (local.get $v)))))
            (f32.store offset=0 (local.get $o) (f32.load offset=0 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 0 (local.get $v)) (i32.const 2)))))
            (f32.store offset=4 (local.get $o) (f32.load offset=0 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 1 (local.get $v)) (i32.const 2)))))
            (f32.store offset=8 (local.get $o) (f32.load offset=0 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 2 (local.get $v)) (i32.const 2)))))
            (f32.store offset=12 (local.get $o) (f32.load offset=0 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 3 (local.get $v)) (i32.const 2)))))
            (f32.store offset=0 (i32.add (local.get $o) (local.get $plane)) (f32.load offset=1024 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 4 (local.get $v)) (i32.const 2)))))
            (f32.store offset=4 (i32.add (local.get $o) (local.get $plane)) (f32.load offset=1024 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 5 (local.get $v)) (i32.const 2)))))
            (f32.store offset=8 (i32.add (local.get $o) (local.get $plane)) (f32.load offset=1024 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 6 (local.get $v)) (i32.const 2)))))
            (f32.store offset=12 (i32.add (local.get $o) (local.get $plane)) (f32.load offset=1024 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 7 (local.get $v)) (i32.const 2)))))
            (f32.store offset=0 (i32.add (local.get $o) (local.get $plane2)) (f32.load offset=2048 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 8 (local.get $v)) (i32.const 2)))))
            (f32.store offset=4 (i32.add (local.get $o) (local.get $plane2)) (f32.load offset=2048 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 9 (local.get $v)) (i32.const 2)))))
            (f32.store offset=8 (i32.add (local.get $o) (local.get $plane2)) (f32.load offset=2048 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 10 (local.get $v)) (i32.const 2)))))
            (f32.store offset=12 (i32.add (local.get $o) (local.get $plane2)) (f32.load offset=2048 (i32.add (local.get $table) (i32.shl (i8x16.extract_lane_u 11 (local.get $v)) (i32.const 2)))))
            (local.set $o (i32.add (local.get $o) (local.get $step)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $chunkLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))
)
