"""The speakerphone's audio: what it sends (a tone or a looped file) and how loud things are.

A unit without a sound-device library still has to prove a call carries audio, so its
"microphone" is a generated tone or a recorded prompt, and its "speaker" is a level meter.
Everything here is 48 kHz signed 16-bit, the rate Opus works at, in 20 ms frames (aiortc's
packetisation time), so nothing is resampled on the way to the encoder.
"""

from __future__ import annotations

import asyncio
import math
import operator
from abc import abstractmethod
from array import array
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gateway.errors import GatewayError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SAMPLE_RATE: Final = 48_000
"""Samples per second of every frame a source makes."""
FRAME_SAMPLES: Final = SAMPLE_RATE // 50
"""Samples in one 20 ms frame."""
FULL_SCALE: Final = 32768
"""The magnitude 0 dBFS refers to: a square wave at full scale reads 0 dBFS, a sine -3 dBFS."""
SILENCE_DBFS: Final = -100.0
"""Reading for digital silence: below the smallest s16 step (-90.3 dBFS) and a finite number,
so it stays valid JSON in logs where -infinity would not."""
LEVEL_WINDOW_FRAMES: Final = 25
"""A level is the RMS of the last 25 frames (half a second): steady enough to read, recent
enough to follow speech."""
MAX_FILE_S: Final = 600
"""Longest file a source loads; it is held decoded in memory (about 5.8 MB for ten minutes)."""

_S16_FORMATS: Final = frozenset({"s16", "s16p"})
_TIME_BASE: Final = Fraction(1, SAMPLE_RATE)


class AudioSourceError(GatewayError):
    """A source could not be made (the file is missing, unreadable, has no audio or is too long)."""


def dbfs(mean_square: float) -> float:
    """The level in dBFS of a signal whose mean square sample is ``mean_square`` (s16 units)."""
    if mean_square <= 0:
        return SILENCE_DBFS
    return max(10 * math.log10(mean_square / FULL_SCALE**2), SILENCE_DBFS)


@dataclass(frozen=True, slots=True)
class LevelReading:
    """How much audio went one way, and how loud it was lately."""

    frames: int
    """Frames seen since the call started."""
    level_dbfs: float
    """RMS level of the last half second, in dBFS; :data:`SILENCE_DBFS` before any frame."""


class LevelMeter:
    """Measures the RMS level of audio frames as they pass."""

    def __init__(self) -> None:
        """A meter that has seen nothing yet."""
        self.frames = 0
        self._window: deque[tuple[int, int]] = deque(maxlen=LEVEL_WINDOW_FRAMES)
        self._resampler: av.AudioResampler | None = None

    def update(self, frame: av.AudioFrame) -> None:
        """Count ``frame`` and take its samples into the level."""
        self.frames += 1
        frames = [frame]
        if frame.format.name not in _S16_FORMATS:
            # Decoders usually give s16 already; anything else (float from a file) is converted
            # rather than measured on a different scale.
            if self._resampler is None:
                self._resampler = av.AudioResampler(format="s16")
            frames = self._resampler.resample(frame)
        squares = count = 0
        for each in frames:
            for samples in _s16_planes(each):
                squares += sum(map(operator.mul, samples, samples))
                count += len(samples)
        if count:
            self._window.append((squares, count))

    @property
    def level_dbfs(self) -> float:
        """RMS level of the last half second, in dBFS."""
        count = sum(n for _, n in self._window)
        return dbfs(sum(s for s, _ in self._window) / count) if count else SILENCE_DBFS

    def reading(self) -> LevelReading:
        """The meter's current frame count and level."""
        return LevelReading(frames=self.frames, level_dbfs=self.level_dbfs)


def _s16_planes(frame: av.AudioFrame) -> list[memoryview]:
    """The samples of an s16 frame, one view per plane (a plane's buffer may be padded)."""
    planar = frame.format.is_planar
    per_plane = frame.samples * (1 if planar else frame.layout.nb_channels)
    return [memoryview(plane).cast("B")[: per_plane * 2].cast("h") for plane in frame.planes]


class _PacedAudioTrack(MediaStreamTrack):
    """An audio track that makes a 20 ms frame every 20 ms of wall time.

    The RTP sender pulls frames as fast as ``recv`` returns them, so the pacing is here, as in
    aiortc's own ``AudioStreamTrack``.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        """The next frame, when its time comes.

        Raises:
            MediaStreamError: the track was stopped.
        """
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            await asyncio.sleep(self._start + self._pts / SAMPLE_RATE - loop.time())
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(self._next_pcm())
        frame.pts = self._pts
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = _TIME_BASE
        return frame

    @abstractmethod
    def _next_pcm(self) -> bytes:
        """The next frame's samples, native-endian s16 mono (each source says what)."""


class ToneTrack(_PacedAudioTrack):
    """A sine tone, 48 kHz mono s16 in 20 ms frames."""

    def __init__(self, frequency_hz: float = 1000.0, amplitude: float = 0.25) -> None:
        """A tone of ``frequency_hz`` whose peak is ``amplitude`` of full scale.

        An amplitude of 0.25 reads -15 dBFS RMS: clearly audible, far from clipping.

        Raises:
            ValueError: the frequency is not between 1 Hz and 24 kHz (Nyquist) or the amplitude
                not in (0, 1].
        """
        super().__init__()
        if not 1 <= frequency_hz < SAMPLE_RATE / 2:
            raise ValueError(f"frequency {frequency_hz} Hz is outside 1 Hz to 24 kHz")
        if not 0 < amplitude <= 1:
            raise ValueError(f"amplitude {amplitude} is outside (0, 1]")
        self.frequency_hz = frequency_hz
        self.amplitude = amplitude
        self._step = 2 * math.pi * frequency_hz / SAMPLE_RATE
        self._peak = amplitude * (FULL_SCALE - 1)
        self._phase = 0.0

    def _next_pcm(self) -> bytes:
        # A running phase (not a table of one second) keeps any frequency continuous across
        # frames, including ones that do not fit a whole number of cycles into a frame.
        phase, step, peak = self._phase, self._step, self._peak
        pcm = array("h", (round(peak * math.sin(phase + i * step)) for i in range(FRAME_SAMPLES)))
        self._phase = (phase + FRAME_SAMPLES * step) % (2 * math.pi)
        return pcm.tobytes()


class LoopTrack(_PacedAudioTrack):
    """Decoded audio (48 kHz mono s16 bytes), looped, in 20 ms frames."""

    def __init__(self, pcm: bytes) -> None:
        """Loop ``pcm``, as :func:`load_pcm` returns it.

        Raises:
            ValueError: ``pcm`` is empty or not whole s16 samples.
        """
        super().__init__()
        if not pcm or len(pcm) % 2:
            raise ValueError("pcm must be whole s16 samples, at least one")
        self._pcm = pcm
        self._offset = 0

    def _next_pcm(self) -> bytes:
        size = FRAME_SAMPLES * 2
        chunk = b""
        while len(chunk) < size:
            # The loop may wrap more than once when the audio is shorter than a frame.
            take = self._pcm[self._offset : self._offset + size - len(chunk)]
            chunk += take
            self._offset = (self._offset + len(take)) % len(self._pcm)
        return chunk


class FileTrack(LoopTrack):
    """A sound file (WAV or anything FFmpeg reads), looped, as 48 kHz mono s16 20 ms frames."""

    def __init__(self, path: Path) -> None:
        """Load and convert ``path`` now (it blocks while it decodes the file).

        Raises:
            AudioSourceError: as for :func:`load_pcm`.
        """
        super().__init__(load_pcm(path))
        self.path = path


def tone_microphone(
    frequency_hz: float = 1000.0, amplitude: float = 0.25
) -> Callable[[], ToneTrack]:
    """A maker of tone tracks, one per call (a track is stopped when its call ends).

    Raises:
        ValueError: as for :class:`ToneTrack`, now rather than at the first call.
    """
    ToneTrack(frequency_hz, amplitude)
    return lambda: ToneTrack(frequency_hz, amplitude)


def file_microphone(path: Path) -> Callable[[], LoopTrack]:
    """A maker of tracks looping ``path``, one per call; the file is decoded once, now.

    Raises:
        AudioSourceError: as for :func:`load_pcm`, at start-up rather than in a call.
    """
    pcm = load_pcm(path)
    return lambda: LoopTrack(pcm)


def load_pcm(path: Path) -> bytes:
    """Decode ``path`` to 48 kHz mono s16 bytes (native byte order).

    Raises:
        AudioSourceError: the file cannot be read, has no audio, or is over
            :data:`MAX_FILE_S`.
    """
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    pcm = bytearray()
    limit = MAX_FILE_S * SAMPLE_RATE * 2
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioSourceError(f"{path} has no audio stream")
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    pcm += memoryview(out.planes[0]).cast("B")[: out.samples * 2]
                if len(pcm) > limit:
                    raise AudioSourceError(f"{path} is longer than {MAX_FILE_S} s")
            for out in resampler.resample(None):
                pcm += memoryview(out.planes[0]).cast("B")[: out.samples * 2]
    except (av.FFmpegError, OSError) as err:
        raise AudioSourceError(f"cannot read {path}: {err}") from err
    if not pcm:
        raise AudioSourceError(f"{path} has no samples")
    return bytes(pcm)


class MeteredTrack(MediaStreamTrack):
    """Passes another audio track's frames on, measuring them: the sent-level meter."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, meter: LevelMeter) -> None:
        """Relay ``source`` through ``meter``."""
        super().__init__()
        self.source = source
        self.meter = meter

    async def recv(self) -> av.AudioFrame:
        """The source's next frame, after measuring it.

        Raises:
            MediaStreamError: this track or its source was stopped, or the source gave
                something that is not audio.
        """
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.source.recv()
        if not isinstance(frame, av.AudioFrame):
            raise MediaStreamError(f"source gave {type(frame).__name__}, not audio")
        self.meter.update(frame)
        return frame

    def stop(self) -> None:
        """Stop this track and its source."""
        self.source.stop()
        super().stop()
